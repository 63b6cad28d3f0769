// Pictures of functions and their derivatives: plain numbers in, standalone SVG (or PNG in Node) out.
export type { Series } from "./data.js";
export { MissingPackageError } from "./errors.js";
export { type LineChartOptions, lineChart } from "./line-chart.js";
export { load, type PlotModuleLike } from "./load.js";
export { svgToPng } from "./png.js";
