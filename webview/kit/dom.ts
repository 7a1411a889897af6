/**
 * Tiny DOM helpers. Text always goes in through textContent: document and model text (token
 * strings, prompts) is never parsed as HTML.
 */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** A vscode-elements button (secondary: the theme's secondary colours). */
export function button(label: string, onClick: () => void, options: { secondary?: boolean; testId?: string; title?: string } = {}): HTMLElement {
  const element = document.createElement('vscode-button');
  element.textContent = label;
  if (options.secondary) element.setAttribute('secondary', '');
  if (options.testId) element.dataset.testid = options.testId;
  if (options.title) element.title = options.title;
  element.addEventListener('click', onClick);
  return element;
}
