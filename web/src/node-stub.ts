// Stands in for Node-only modules in the browser bundle (node: built-ins, @resvg/resvg-js, linkedom).
// nabla imports them lazily on Node-only paths (PNG output, datasets, files, SVG without a page); the
// playground never takes those paths, so an empty module keeps them out of the download.
export {};
