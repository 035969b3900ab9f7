import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

// A small IMAP4rev1 server (RFC 3501) with just what imapflow uses to find a message: the greeting,
// CAPABILITY, LOGIN, LIST "" "" (imapflow's namespace fallback when NAMESPACE is not offered),
// SELECT/EXAMINE, SEARCH / UID SEARCH by SUBJECT or HEADER, FETCH / UID FETCH of UID and header
// fields, NOOP and LOGOUT. Plain TCP, one mailbox (INBOX) per user, messages delivered by the test.

export interface FakeImapServer {
  port: number;
  /** Puts a raw RFC 5322 message into the user's INBOX, as a delivery agent would. */
  deliver(user: string, raw: string): void;
  /** Every command line received, for assertions on what the client did. */
  commands: string[];
  stop(): Promise<void>;
}

interface Message {
  uid: number;
  raw: string;
}

/** Splits a command's arguments into atoms and quoted strings (literals are inlined before this). */
function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? `(${m[2]})` : m[3]!);
  return out;
}

function headerValue(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

function headerLines(raw: string, names: string[]): string {
  const head = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n/g, '\r\n');
  const fields = head.split(/\r\n(?![ \t])/);
  const wanted = fields.filter((f) => names.some((n) => f.toLowerCase().startsWith(`${n.toLowerCase()}:`)));
  return wanted.map((f) => `${f}\r\n`).join('') + '\r\n';
}

/** Sequence set like `1:*`, `3`, `2,5:7` against the mailbox (by sequence number or UID). */
function inSet(set: string, value: number, max: number): boolean {
  return set.split(',').some((part) => {
    const [a, b] = part.split(':');
    const lo = a === '*' ? max : Number(a);
    const hi = b === undefined ? lo : b === '*' ? max : Number(b);
    return value >= Math.min(lo, hi) && value <= Math.max(lo, hi);
  });
}

export async function startImapServer(options: { users: Record<string, string> }): Promise<FakeImapServer> {
  const boxes = new Map<string, Message[]>();
  const commands: string[] = [];
  let nextUid = 1;
  const box = (user: string) => {
    if (!boxes.has(user)) boxes.set(user, []);
    return boxes.get(user)!;
  };

  function session(socket: Socket): void {
    let user: string | undefined;
    let selected = false;
    let buffer = '';
    let pendingLiteral: { line: string; size: number } | undefined;
    const send = (text: string): void => {
      socket.write(`${text}\r\n`);
    };
    send('* OK IMAP4rev1 patchctl test server ready');

    function search(args: string[]): number[] {
      const messages = box(user!);
      const criteria: ((m: Message) => boolean)[] = [];
      for (let i = 0; i < args.length; i++) {
        const key = args[i]!.toUpperCase();
        if (key === 'SUBJECT') {
          const needle = args[++i]!.toLowerCase();
          criteria.push((m) => headerValue(m.raw, 'subject').toLowerCase().includes(needle));
        } else if (key === 'HEADER') {
          const name = args[++i]!;
          const needle = args[++i]!.toLowerCase();
          criteria.push((m) => headerValue(m.raw, name).toLowerCase().includes(needle));
        } else if (key === 'ALL' || key === 'CHARSET') {
          if (key === 'CHARSET') i++;
        } else throw new Error(`search key ${key} is not supported by the test server`);
      }
      return messages.filter((m) => criteria.every((c) => c(m))).map((m) => m.uid);
    }

    function handle(line: string): void {
      commands.push(line);
      const [tag, rawCommand, ...rest] = tokens(line);
      if (!tag || !rawCommand) return send('* BAD empty command');
      let command = rawCommand.toUpperCase();
      let args = rest;
      let byUid = false;
      if (command === 'UID') {
        byUid = true;
        command = (args[0] ?? '').toUpperCase();
        args = args.slice(1);
      }
      const ok = (text: string): void => send(`${tag} OK ${text}`);
      switch (command) {
        case 'CAPABILITY':
          send('* CAPABILITY IMAP4rev1');
          return ok('CAPABILITY completed');
        case 'NOOP':
          return ok('NOOP completed');
        case 'LOGIN': {
          const [name, pass] = args;
          if (name === undefined || options.users[name] !== pass) return send(`${tag} NO [AUTHENTICATIONFAILED] invalid credentials`);
          user = name;
          return ok('[CAPABILITY IMAP4rev1] LOGIN completed');
        }
        case 'LOGOUT':
          send('* BYE logging out');
          ok('LOGOUT completed');
          socket.end();
          return;
      }
      if (!user) return send(`${tag} NO not authenticated`);
      switch (command) {
        case 'LIST':
          if (args[1] === '') send('* LIST (\\Noselect) "/" ""');
          else send('* LIST () "/" INBOX');
          return ok('LIST completed');
        case 'SELECT':
        case 'EXAMINE': {
          if ((args[0] ?? '').toUpperCase() !== 'INBOX') return send(`${tag} NO no such mailbox`);
          selected = true;
          const messages = box(user);
          send('* FLAGS (\\Seen \\Deleted)');
          send(`* ${messages.length} EXISTS`);
          send('* OK [UIDVALIDITY 1] UIDs valid');
          send(`* OK [UIDNEXT ${nextUid}] next UID`);
          return ok(`[${command === 'SELECT' ? 'READ-WRITE' : 'READ-ONLY'}] ${command} completed`);
        }
      }
      if (!selected) return send(`${tag} NO no mailbox selected`);
      const messages = box(user);
      switch (command) {
        case 'SEARCH': {
          let found: number[];
          try {
            found = search(args);
          } catch (error) {
            return send(`${tag} BAD ${(error as Error).message}`);
          }
          const numbers = byUid ? found : found.map((uid) => messages.findIndex((m) => m.uid === uid) + 1);
          send(`* SEARCH${numbers.map((n) => ` ${n}`).join('')}`);
          return ok('SEARCH completed');
        }
        case 'FETCH': {
          const [set = '', items = ''] = args;
          const fields = /HEADER\.FIELDS \(([^)]*)\)/i.exec(line)?.[1]?.split(/\s+/).filter(Boolean);
          messages.forEach((m, i) => {
            const seq = i + 1;
            if (!inSet(set, byUid ? m.uid : seq, byUid ? (messages[messages.length - 1]?.uid ?? 0) : messages.length)) return;
            const parts = [`UID ${m.uid}`];
            if (fields) {
              const text = headerLines(m.raw, fields);
              parts.push(`BODY[HEADER.FIELDS (${fields.join(' ')})] {${Buffer.byteLength(text)}}\r\n${text}`);
            }
            if (/FLAGS/i.test(items)) parts.push('FLAGS ()');
            send(`* ${seq} FETCH (${parts.join(' ')})`);
          });
          return ok('FETCH completed');
        }
        default:
          return send(`${tag} BAD ${command} is not supported by the test server`);
      }
    }

    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (pendingLiteral) {
          if (buffer.length < pendingLiteral.size) return;
          const literal = buffer.slice(0, pendingLiteral.size);
          buffer = buffer.slice(pendingLiteral.size);
          const line = `${pendingLiteral.line}"${literal.replace(/(["\\])/g, '\\$1')}"`;
          pendingLiteral = undefined;
          buffer = line + buffer;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const literal = /\{(\d+)\}$/.exec(line);
        if (literal) {
          pendingLiteral = { line: line.slice(0, literal.index), size: Number(literal[1]) };
          send('+ go ahead');
          continue;
        }
        handle(line);
      }
    });
    socket.on('error', () => undefined);
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    session(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    commands,
    deliver(user, raw) {
      box(user).push({ uid: nextUid++, raw });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
