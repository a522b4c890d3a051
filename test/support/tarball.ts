/**
 * Writes raw ustar archives entry by entry, exactly as given — including the hostile entries a
 * real tool would refuse to create (`../x`, `/etc/x`, writes through symlinks, device nodes,
 * pax and GNU long-name headers that disagree with the header they precede).
 */
export interface RawEntry {
  readonly name: string;
  readonly type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo';
  readonly data?: string;
  readonly link?: string;
  readonly mode?: number;
  /** Records of a pax header ('x') written before the entry. */
  readonly pax?: Readonly<Record<string, string>>;
  /** A GNU long name ('L') written before the entry. */
  readonly longName?: string;
  /** The size field, when it should lie about the contents that follow. */
  readonly size?: number;
}

const TYPE_FLAG = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, typeflag: string, size: number, mode: number, link?: string): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(1672531200, 12), 136);
  block.write('        ', 148);
  block.write(typeflag, 156);
  if (link) block.write(link, 157, 100, 'utf8');
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7), 148);
  return block;
}

const padding = (length: number): Buffer => Buffer.alloc((512 - (length % 512)) % 512);

/** The body of a pax header: `length keyword=value\n` records, each length counting itself. */
export function paxBody(records: Readonly<Record<string, string>>): Buffer {
  const lines = Object.entries(records).map(([keyword, value]) => {
    const rest = ` ${keyword}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length++;
    return `${length}${rest}`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

export function rawTar(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    if (entry.pax) {
      const body = paxBody(entry.pax);
      blocks.push(header('PaxHeaders/x', 'x', body.length, 0o644), body, padding(body.length));
    }
    if (entry.longName !== undefined) {
      const body = Buffer.from(`${entry.longName}\0`, 'utf8');
      blocks.push(header('././@LongLink', 'L', body.length, 0o644), body, padding(body.length));
    }
    const data = Buffer.from(type === 'file' ? (entry.data ?? '') : '');
    blocks.push(header(entry.name, TYPE_FLAG[type], entry.size ?? data.length, entry.mode ?? (type === 'dir' ? 0o755 : 0o644), entry.link), data, padding(data.length));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
