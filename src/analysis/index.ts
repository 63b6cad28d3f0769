// Curvature analysis: Hessian spectra by Lanczos, Hutchinson estimators, third-order contractions, input
// sensitivity, Taylor polynomials, and charts (only contour.ts and taylor-chart.ts load Observable Plot).
export { type ContourChartOptions, type ContourPath, contourChart } from "./contour.js";
export {
  type HutchinsonOptions,
  type HutchinsonResult,
  hessianDiagonal,
  hessianTrace,
} from "./hutchinson.js";
export { type LanczosOptions, type LanczosResult, lanczos } from "./lanczos.js";
export { type SensitivityOptions, type SensitivityResult, sensitivity } from "./sensitivity.js";
export { type TaylorPolynomial, taylorPolynomial } from "./taylor.js";
export { type TaylorChartOptions, taylorChart } from "./taylor-chart.js";
export { thirdOrder } from "./third-order.js";
