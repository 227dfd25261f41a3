// Small TOML and YAML parsers, enough for the MCP config snippets in the docs (tables, dotted
// keys, strings, numbers, booleans, arrays, inline tables; block maps and lists, flow
// collections, quoted and plain scalars). They throw on anything they do not understand, so a
// snippet either parses into the structure a real parser would build or the test fails.
// Written here because the project takes no dependency just to check documentation.

type Value = string | number | boolean | Value[] | { [key: string]: Value };
export type Table = { [key: string]: Value };

// ------------------------------------------------------------------ TOML

export function parseToml(source: string): Table {
  const root: Table = {};
  let current: Table = root;
  const defined = new Set<string>();
  const p = { text: source, i: 0 };

  const fail = (message: string): never => {
    const line = source.slice(0, p.i).split("\n").length;
    throw new Error(`TOML line ${line}: ${message}`);
  };
  const skipSpace = () => {
    while (p.i < p.text.length && (p.text[p.i] === " " || p.text[p.i] === "\t")) p.i++;
  };
  const skipComment = () => {
    if (p.text[p.i] === "#") while (p.i < p.text.length && p.text[p.i] !== "\n") p.i++;
  };
  const skipBlank = () => {
    for (;;) {
      skipSpace();
      skipComment();
      if (p.text[p.i] === "\n" || p.text[p.i] === "\r") p.i++;
      else return;
    }
  };
  const endOfLine = () => {
    skipSpace();
    skipComment();
    if (p.i < p.text.length && p.text[p.i] !== "\n" && p.text[p.i] !== "\r") fail(`unexpected '${p.text[p.i]}' after a value`);
  };

  const basicString = (): string => {
    p.i++; // opening "
    let out = "";
    while (p.i < p.text.length) {
      const c = p.text[p.i++];
      if (c === '"') return out;
      if (c === "\n") fail("newline in a string");
      if (c === "\\") {
        const e = p.text[p.i++];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", b: "\b", f: "\f" };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === "u" || e === "U") {
          const len = e === "u" ? 4 : 8;
          const hex = p.text.slice(p.i, p.i + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail("bad unicode escape");
          out += String.fromCodePoint(parseInt(hex, 16));
          p.i += len;
        } else fail(`bad escape \\${e}`);
      } else out += c;
    }
    return fail("unterminated string");
  };
  const literalString = (): string => {
    const end = p.text.indexOf("'", p.i + 1);
    const nl = p.text.indexOf("\n", p.i + 1);
    if (end === -1 || (nl !== -1 && nl < end)) fail("unterminated literal string");
    const out = p.text.slice(p.i + 1, end);
    p.i = end + 1;
    return out;
  };
  const key = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpace();
      const c = p.text[p.i];
      if (c === '"') parts.push(basicString());
      else if (c === "'") parts.push(literalString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(p.text.slice(p.i));
        if (!m) fail("expected a key");
        parts.push(m?.[0] ?? "");
        p.i += m?.[0].length ?? 0;
      }
      skipSpace();
      if (p.text[p.i] === ".") p.i++;
      else return parts;
    }
  };
  const value = (): Value => {
    skipSpace();
    const c = p.text[p.i];
    if (c === '"') {
      if (p.text.startsWith('"""', p.i)) fail("multi-line strings are not supported here");
      return basicString();
    }
    if (c === "'") return literalString();
    if (c === "[") {
      p.i++;
      const items: Value[] = [];
      for (;;) {
        skipBlank();
        if (p.text[p.i] === "]") {
          p.i++;
          return items;
        }
        items.push(value());
        skipBlank();
        if (p.text[p.i] === ",") p.i++;
        else if (p.text[p.i] !== "]") fail("expected ',' or ']' in an array");
      }
    }
    if (c === "{") {
      p.i++;
      const table: Table = {};
      skipSpace();
      if (p.text[p.i] === "}") {
        p.i++;
        return table;
      }
      for (;;) {
        const k = key();
        if (p.text[p.i] !== "=") fail("expected '=' in an inline table");
        p.i++;
        assign(table, k, value(), "inline table");
        skipSpace();
        if (p.text[p.i] === ",") p.i++;
        else if (p.text[p.i] === "}") {
          p.i++;
          return table;
        } else fail("expected ',' or '}' in an inline table");
      }
    }
    const m = /^(true|false|[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?)(?=[\s,\]}#]|$)/.exec(p.text.slice(p.i));
    if (!m?.[1]) return fail(`cannot read a value at '${p.text.slice(p.i, p.i + 20)}'`);
    p.i += m[1].length;
    if (m[1] === "true" || m[1] === "false") return m[1] === "true";
    return Number(m[1].replaceAll("_", ""));
  };
  const assign = (table: Table, path: string[], v: Value, where: string) => {
    let t = table;
    for (const part of path.slice(0, -1)) {
      const next = t[part] ?? {};
      if (typeof next !== "object" || Array.isArray(next)) fail(`'${part}' is not a table (${where})`);
      t[part] = next;
      t = next as Table;
    }
    const last = path[path.length - 1] ?? "";
    if (last in t) fail(`duplicate key '${path.join(".")}'`);
    t[last] = v;
  };

  for (;;) {
    skipBlank();
    if (p.i >= p.text.length) return root;
    if (p.text[p.i] === "[") {
      if (p.text[p.i + 1] === "[") fail("arrays of tables are not supported here");
      p.i++;
      const path = key();
      if (p.text[p.i] !== "]") fail("expected ']' after a table name");
      p.i++;
      endOfLine();
      const name = path.join(".");
      if (defined.has(name)) fail(`table [${name}] defined twice`);
      defined.add(name);
      current = root;
      for (const part of path) {
        const next = current[part] ?? {};
        if (typeof next !== "object" || Array.isArray(next)) fail(`'${part}' is not a table`);
        current[part] = next;
        current = next as Table;
      }
      continue;
    }
    const k = key();
    if (p.text[p.i] !== "=") fail(`expected '=' after key '${k.join(".")}'`);
    p.i++;
    assign(current, k, value(), "key/value");
    endOfLine();
  }
}

// ------------------------------------------------------------------ YAML

interface Line {
  indent: number;
  text: string;
  number: number;
}

function stripYamlComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || text[i - 1] === " " || text[i - 1] === "\t")) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

export function parseYaml(source: string): Value {
  const lines: Line[] = [];
  source.split("\n").forEach((raw, n) => {
    if (raw.includes("\t") && /^\s*\t/.test(raw)) throw new Error(`YAML line ${n + 1}: tabs cannot indent`);
    const text = stripYamlComment(raw);
    if (!text.trim() || text.trim() === "---") return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: n + 1 });
  });
  let at = 0;

  const fail = (line: Line | undefined, message: string): never => {
    throw new Error(`YAML line ${line?.number ?? "end"}: ${message}`);
  };

  const scalar = (text: string, line: Line): Value => {
    const t = text.trim();
    if (t.startsWith('"')) {
      if (!t.endsWith('"') || t.length < 2) fail(line, "unterminated double-quoted string");
      return JSON.parse(t) as string;
    }
    if (t.startsWith("'")) {
      if (!t.endsWith("'") || t.length < 2) fail(line, "unterminated single-quoted string");
      return t.slice(1, -1).replaceAll("''", "'");
    }
    if (t.startsWith("[") || t.startsWith("{")) return flow(t, line);
    if (/^(true|false)$/.test(t)) return t === "true";
    if (/^[+-]?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (/^[&*!|>%@`]/.test(t)) fail(line, `'${t[0]}' (anchors, tags, block scalars) is not supported here`);
    if (/: |:$/.test(t)) fail(line, `a plain value cannot contain ': ' (${t})`);
    return t;
  };

  const flow = (text: string, line: Line): Value => {
    // Flow collections in config snippets hold plain or quoted scalars; JSON-quote them and
    // let JSON.parse check the brackets.
    let json = "";
    let i = 0;
    const token = /^\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,[\]{}:]+?)(?=\s*[,\]}:])/;
    while (i < text.length) {
      const c = text[i] as string;
      if ("[]{},:".includes(c)) {
        json += c;
        i++;
        continue;
      }
      if (c === " ") {
        i++;
        continue;
      }
      const m = token.exec(text.slice(i));
      if (!m?.[1]) return fail(line, `cannot read flow collection ${text}`);
      const v = scalar(m[1], line);
      json += JSON.stringify(v);
      i += m[0].length;
    }
    try {
      return JSON.parse(json) as Value;
    } catch {
      return fail(line, `malformed flow collection ${text}`);
    }
  };

  const block = (indent: number): Value => {
    const first = lines[at];
    if (!first) return fail(first, "expected a value");
    if (first.text.startsWith("- ") || first.text === "-") {
      const list: Value[] = [];
      while (at < lines.length) {
        const line = lines[at] as Line;
        if (line.indent < indent) break;
        if (line.indent > indent) fail(line, "unexpected indentation in a list");
        if (!(line.text.startsWith("- ") || line.text === "-")) break;
        const rest = line.text.slice(1).trim();
        at++;
        if (!rest) list.push(block((lines[at]?.indent ?? 0) > indent ? (lines[at] as Line).indent : fail(line, "empty list item")));
        else if (/^[^"'[{][^:]*:( |$)/.test(rest) || /^"[^"]*": /.test(rest)) {
          // "- key: value" starts a mapping whose keys line up with "key"
          const inner = indent + (line.text.length - rest.length);
          lines.splice(at, 0, { indent: inner, text: rest, number: line.number });
          list.push(block(inner));
        } else list.push(scalar(rest, line));
      }
      return list;
    }
    const map: Table = {};
    while (at < lines.length) {
      const line = lines[at] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent) fail(line, "unexpected indentation");
      const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^"'#:][^:]*?)\s*:(?:\s+(.*))?$/.exec(line.text);
      if (!m?.[1]) return fail(line, `expected 'key: value', got '${line.text}'`);
      const k = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1].startsWith("'") ? m[1].slice(1, -1) : m[1];
      if (k in map) fail(line, `duplicate key '${k}'`);
      at++;
      if (m[2] !== undefined && m[2] !== "") map[k] = scalar(m[2], line);
      else {
        const next = lines[at];
        // A nested block is indented deeper; YAML also allows a list at the same indent as its key.
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")))) map[k] = block(next.indent);
        else fail(line, `'${k}' has no value`);
      }
    }
    return map;
  };

  if (lines.length === 0) throw new Error("YAML: empty document");
  const result = block((lines[0] as Line).indent);
  if (at < lines.length) fail(lines[at], "unexpected content (wrong indentation?)");
  return result;
}
