// The two DOM helpers every view uses. Text goes in as text: people's words never become markup.

export const $ = (id) => document.getElementById(id);

export function el(tag, { className, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

// Words for screen readers only (the sighted see the same thing from the layout).
export const hiddenText = (text) => el("span", { className: "visually-hidden", text });
