// A small element builder and a few DOM patch helpers. User text only ever
// goes through textContent/value, never through innerHTML.

/**
 * h("button", {class: "btn", testid: "park", on: {click}}, "Park")
 * Props: class, text, testid, data (object → data-*), attrs (object), on (object),
 * and any other key is set as a property (type, value, checked, disabled, ...).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "testid") el.dataset.testid = value;
    else if (key === "data") Object.assign(el.dataset, value);
    else if (key === "attrs") for (const [a, v] of Object.entries(value)) el.setAttribute(a, v);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    else el[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Set an input's value unless the user is typing in it (or has unsent text in it). */
export function setValue(el, value) {
  if (document.activeElement === el || el.dataset.dirty === "true") return;
  if (el.value !== value) el.value = value;
}

export function toggle(el, className, on) {
  el.classList.toggle(className, Boolean(on));
}

export function setData(el, key, value) {
  const text = String(value);
  if (el.dataset[key] !== text) el.dataset[key] = text;
}

/** Reorder `parent`'s children to `nodes` with few moves, so focus inside unmoved nodes survives. */
export function placeChildren(parent, nodes) {
  const focused = document.activeElement;
  nodes.forEach((node, index) => {
    const current = parent.children[index];
    if (current !== node) parent.insertBefore(node, current ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
}
