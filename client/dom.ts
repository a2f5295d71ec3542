/**
 * Building the DOM without ever interpolating data into HTML: every element is created, every
 * text goes through textContent and every attribute through setAttribute, so a range or preset
 * named `"><a href=…>` shows as those characters and nothing else.
 */

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** el creates an element with attributes (`class`, `aria-*`, ...; false/undefined are left out) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** byId returns the element with an id (the page's fixed elements). */
export function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`no element #${id}`);
  return e as T;
}

/** setOptions replaces a select's options with one per name (text, not HTML). */
export function setOptions(select: HTMLSelectElement, names: readonly string[], selected?: string): void {
  select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  if (selected !== undefined && names.includes(selected)) select.value = selected;
}

/**
 * applyOff turns every input, button and select under `root` off while nothing may be changed
 * (view-only, or disconnected), and those marked `data-off="true"` off regardless; those inside
 * `.always` are left alone.
 */
export function applyOff(root: ParentNode, readOnly: boolean): void {
  for (const e of root.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select')) {
    if (!e.closest('.always')) e.disabled = readOnly || e.dataset.off === 'true';
  }
}
