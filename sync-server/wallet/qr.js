// A QR code as an SVG element: black modules on white with a 4-module quiet zone, ECC level M (the protocol sizes a
// holder code for version 13 at M). Built with DOM calls, so the page's content security policy stays strict.
import { encode } from './vendor/uqr.mjs';

const SVG = 'http://www.w3.org/2000/svg';

export function qrSvg(text, label) {
  const qr = encode(text, { ecc: 'M', boostEcc: false, border: 4 });
  const n = qr.data.length;
  let d = '';
  for (let y = 0; y < n; y++) {
    const row = qr.data[y];
    for (let x = 0; x < n; x++) if (row[x]) d += `M${x} ${y}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n} ${n}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.dataset.version = String(qr.version);
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(n));
  bg.setAttribute('height', String(n));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
