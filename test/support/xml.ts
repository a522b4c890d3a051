/**
 * A strict reader of the XML our charts are made of, for tests: it throws on anything that is not
 * well-formed (an unclosed or misnested tag, an attribute twice or unquoted, a raw `<` or `&` in
 * text, more than one root) and returns the element tree to look into.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** The element's own text and its descendants', entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`a raw < at ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new Error(`an & that starts no entity at ${where}`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const code = /^#x([0-9a-f]+)$/i.exec(name)?.[1] ?? /^#([0-9]+)$/.exec(name)?.[1];
    if (code === undefined) throw new Error(`unknown entity &${name}; at ${where}`);
    return String.fromCodePoint(name.startsWith('#x') ? parseInt(code, 16) : Number(code));
  });
}

export function parseXml(source: string): XmlElement {
  let at = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const addText = (text: string): void => {
    for (const element of stack) element.text += text;
  };
  while (at < source.length) {
    const next = source.indexOf('<', at);
    const text = source.slice(at, next < 0 ? source.length : next);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${at}`);
    addText(decode(text, at));
    if (next < 0) break;
    at = next;
    if (source.startsWith('<!--', at)) {
      const end = source.indexOf('-->', at);
      if (end < 0) throw new Error(`an unclosed comment at ${at}`);
      at = end + 3;
      continue;
    }
    if (source.startsWith('<?', at)) {
      const end = source.indexOf('?>', at);
      if (end < 0) throw new Error(`an unclosed declaration at ${at}`);
      at = end + 2;
      continue;
    }
    if (source.startsWith('</', at)) {
      const name = NAME.exec(source.slice(at + 2))?.[0];
      const close = source.indexOf('>', at);
      const open = stack.pop();
      if (!name || close < 0 || source.slice(at + 2 + name.length, close).trim() !== '') throw new Error(`a bad end tag at ${at}`);
      if (open?.name !== name) throw new Error(`</${name}> at ${at} closes <${open?.name ?? 'nothing'}>`);
      at = close + 1;
      continue;
    }
    const name = NAME.exec(source.slice(at + 1))?.[0];
    if (!name) throw new Error(`a bad tag at ${at}`);
    at += 1 + name.length;
    const attributes = new Map<string, string>();
    for (;;) {
      const space = /^\s*/.exec(source.slice(at))![0];
      at += space.length;
      if (source.startsWith('/>', at) || source.startsWith('>', at)) break;
      if (space === '') throw new Error(`no space before an attribute at ${at}`);
      const attribute = /^([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(source.slice(at));
      if (!attribute) throw new Error(`a bad attribute at ${at}: ${source.slice(at, at + 30)}`);
      if (attributes.has(attribute[1]!)) throw new Error(`attribute ${attribute[1]} twice at ${at}`);
      attributes.set(attribute[1]!, decode(attribute[2] ?? attribute[3] ?? '', at));
      at += attribute[0].length;
    }
    const element: XmlElement = { name, attributes, children: [], text: '' };
    if (stack.length > 0) stack.at(-1)!.children.push(element);
    else if (root) throw new Error(`a second root <${name}> at ${at}`);
    else root = element;
    if (source.startsWith('/>', at)) {
      at += 2;
    } else {
      at += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element under `root` (itself included) that `match` accepts, in document order. */
export function findAll(root: XmlElement, match: (element: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (element: XmlElement): void => {
    if (match(element)) found.push(element);
    element.children.forEach(visit);
  };
  visit(root);
  return found;
}

export const hasClass = (element: XmlElement, name: string): boolean => (element.attributes.get('class') ?? '').split(/\s+/).includes(name);
