// The DOM Plot draws into: the page's document in a browser, a linkedom document in Node.

import { hasPageDocument, linkedomLibrary } from "./libs.js";

export const SVG_NS = "http://www.w3.org/2000/svg";

let nodeDocument: Document | undefined;

/**
 * The document to build SVG in: the global one when there is a page, else one shared linkedom document
 * (linkedom is loaded on the first call, so a bundled page never fetches it).
 */
export function svgDocument(op: string): Document {
  if (hasPageDocument()) return document;
  nodeDocument ??= linkedomLibrary(op).parseHTML("<!DOCTYPE html><html><head></head><body></body></html>")
    .document as unknown as Document;
  return nodeDocument;
}

/** Creates an SVG element with the given attributes. */
export function svgElement(
  doc: Document,
  tag: string,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElement {
  const el = doc.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// linkedom leaves `&` and `<` unescaped in attribute values of HTML-document elements, which is not
// well-formed XML, so Node output is written out here.
function toXml(node: Node): string {
  if (node.nodeType === 3) return escapeXml(node.textContent ?? "");
  if (node.nodeType !== 1) return "";
  const el = node as Element;
  const attrs = Array.from(el.attributes, (a) => ` ${a.name}="${escapeXml(a.value)}"`).join("");
  const children = Array.from(el.childNodes, toXml).join("");
  return children ? `<${el.localName}${attrs}>${children}</${el.localName}>` : `<${el.localName}${attrs}/>`;
}

/** Serializes an `<svg>` element as a standalone XML document string (it declares its own namespaces). */
export function serializeSvg(svg: SVGSVGElement): string {
  if (hasPageDocument() && typeof XMLSerializer !== "undefined") {
    svg.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:xlink", "http://www.w3.org/1999/xlink");
    return new XMLSerializer().serializeToString(svg);
  }
  svg.setAttribute("xmlns", SVG_NS);
  svg.setAttribute("xmlns:xlink", "http://www.w3.org/1999/xlink");
  return toXml(svg);
}
