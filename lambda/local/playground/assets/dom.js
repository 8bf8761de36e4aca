/**
 * Builds an element with attributes and children. Text always goes in as text nodes, never as HTML: model names,
 * descriptions and answers come from files and models, and must not be able to add markup or scripts to the page.
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children.filter((child) => child !== undefined && child !== null));
  return node;
}

export function svgElement(tag, attributes = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}
