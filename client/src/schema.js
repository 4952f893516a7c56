// Validators built from shared_schema/schema.json, with the same rules as
// server/valueroom/protocol/schema.py: closed records, string lengths counted
// in code points, integer ranges, enums, list and map sizes.
// tests/test_schema_agreement.py runs this module under Node on the same frames
// as the server and requires identical verdicts.

export class SchemaViolation extends Error {
  constructor(path, reason) {
    super(`${path || "frame"}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

const join = (path, key) => (path ? `${path}.${key}` : key);

function typeName(value) {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number" || typeof value === "bigint") {
    return Number.isInteger(Number(value)) ? "integer" : "float";
  }
  if (typeof value === "string") return "string";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "list";
  if (value instanceof Map || typeof value === "object") return "map";
  return typeof value;
}

const isPlainMap = (value) =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  !(value instanceof Uint8Array);

const length = (text) => {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
};

// Python's re.fullmatch on the same patterns: anchor both ends, Unicode-aware.
const fullPattern = (pattern) => new RegExp(`^(?:${pattern.replace(/^\^|\$$/g, "")})$`, "u");

class Compiler {
  constructor(types) {
    this.types = types;
    this.named = new Map();
  }

  namedType(name) {
    if (this.named.has(name)) return this.named.get(name);
    let check;
    if (name === "bool") {
      check = checkBool;
    } else if (name === "any") {
      check = checkAny;
    } else if (name in this.types) {
      this.named.set(name, (v, p) => this.named.get(name)(v, p));
      check = this.spec(this.types[name]);
    } else {
      throw new Error(`schema names unknown type ${name}`);
    }
    this.named.set(name, check);
    return check;
  }

  typeRef(ref) {
    return typeof ref === "string" ? this.namedType(ref) : this.spec(ref);
  }

  spec(spec) {
    const build = this[`build_${spec.kind}`];
    if (!build) throw new Error(`schema uses unknown kind ${spec.kind}`);
    return build.call(this, spec);
  }

  build_str(spec) {
    const lo = spec.min ?? 0;
    const hi = spec.max;
    const pattern = spec.pattern ? fullPattern(spec.pattern) : null;
    return (value, path) => {
      if (typeof value !== "string") {
        throw new SchemaViolation(path, `expected a string, got ${typeName(value)}`);
      }
      const n = length(value);
      if (n < lo) throw new SchemaViolation(path, `shorter than ${lo} characters`);
      if (n > hi) throw new SchemaViolation(path, `longer than ${hi} characters`);
      if (pattern && !pattern.test(value)) {
        throw new SchemaViolation(path, "has characters that are not allowed");
      }
    };
  }

  build_int(spec) {
    const lo = BigInt(spec.min);
    const hi = BigInt(spec.max);
    return (value, path) => {
      const integer =
        typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
      if (!integer) throw new SchemaViolation(path, `expected an integer, got ${typeName(value)}`);
      const big = BigInt(value);
      if (big < lo || big > hi) throw new SchemaViolation(path, `out of range [${spec.min}, ${spec.max}]`);
    };
  }

  build_enum(spec) {
    const values = new Set(spec.values);
    return (value, path) => {
      if (typeof value !== "string" || !values.has(value)) {
        throw new SchemaViolation(path, "is not one of the allowed values");
      }
    };
  }

  build_const(spec) {
    return (value, path) => {
      if (value !== spec.value) throw new SchemaViolation(path, `must be '${spec.value}'`);
    };
  }

  build_list(spec) {
    const item = this.typeRef(spec.of);
    return (value, path) => {
      if (!Array.isArray(value)) throw new SchemaViolation(path, `expected a list, got ${typeName(value)}`);
      if (value.length > spec.max) throw new SchemaViolation(path, `more than ${spec.max} entries`);
      value.forEach((entry, index) => item(entry, `${path}[${index}]`));
    };
  }

  build_map(spec) {
    const item = this.typeRef(spec.of);
    const key = this.namedType("Id");
    return (value, path) => {
      if (!isPlainMap(value)) throw new SchemaViolation(path, `expected a map, got ${typeName(value)}`);
      const keys = Object.keys(value);
      if (keys.length > spec.max) throw new SchemaViolation(path, `more than ${spec.max} entries`);
      for (const k of keys) {
        key(k, `${path}<key>`);
        item(value[k], join(path, k));
      }
    };
  }

  build_record(spec) {
    return this.fields(spec.fields);
  }

  fields(fields, extra = []) {
    const compiled = Object.entries(fields).map(([name, field]) => [
      name,
      this.typeRef(field.type),
      Boolean(field.optional),
      Boolean(field.nullable),
    ]);
    const known = new Set([...Object.keys(fields), ...extra]);
    return (value, path) => {
      if (!isPlainMap(value)) throw new SchemaViolation(path, `expected a map, got ${typeName(value)}`);
      for (const key of Object.keys(value)) {
        if (!known.has(key)) {
          const shown = key.length <= 40 ? key : "?";
          throw new SchemaViolation(join(path, shown), "is not a known field");
        }
      }
      for (const [name, check, optional, nullable] of compiled) {
        if (!Object.hasOwn(value, name) || value[name] === undefined) {
          if (optional) continue;
          throw new SchemaViolation(join(path, name), "is missing");
        }
        const entry = value[name];
        if (entry === null && nullable) continue;
        check(entry, join(path, name));
      }
    };
  }
}

function checkBool(value, path) {
  if (typeof value !== "boolean") throw new SchemaViolation(path, `expected a boolean, got ${typeName(value)}`);
}

function checkAny(value, path) {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new SchemaViolation(path, "is not a finite number");
  }
}

function frames(compiler, section, extra) {
  return Object.fromEntries(
    Object.entries(section).map(([name, fields]) => [name, compiler.fields(fields, extra)]),
  );
}

function dispatch(table, frame, what) {
  if (!isPlainMap(frame)) throw new SchemaViolation("", `expected a map, got ${typeName(frame)}`);
  const kind = frame.type;
  if (typeof kind !== "string" || !Object.hasOwn(table, kind)) {
    throw new SchemaViolation("type", `is not a known ${what} type`);
  }
  table[kind](frame, "");
  return kind;
}

/** @typedef {ReturnType<typeof createValidator>} Validator */

/**
 * Build the validators from the parsed schema document.
 * @param {Record<string, any>} schema
 */
export function createValidator(schema) {
  const compiler = new Compiler(schema.types);
  const client = frames(compiler, schema.client, ["type"]);
  const server = frames(compiler, schema.server, ["type"]);
  const commands = frames(compiler, schema.commands, []);
  const events = frames(compiler, schema.events, []);
  const http = frames(compiler, schema.http, []);
  return {
    limits: schema.limits,
    currencies: schema.currencies,
    /** Validate a client→server frame (and a command's args); return its type. */
    checkClientFrame(frame) {
      const kind = dispatch(client, frame, "client frame");
      if (kind === "cmd") commands[frame.name](frame.args, "args");
      return kind;
    },
    /** Validate a server→client frame; return its type. */
    checkServerFrame(frame) {
      const kind = dispatch(server, frame, "server frame");
      if (kind === "event") events[frame.name](frame.data, "data");
      if (kind === "history") {
        for (const event of frame.events) {
          if (this.checkServerFrame(event) !== "event") {
            throw new SchemaViolation("events", "a history page holds event frames");
          }
        }
      }
      return kind;
    },
    /**
     * Validate a whole server message: one frame, or a batch (array) of frames.
     * Returns the frames, in order.
     */
    checkServerMessage(message) {
      const list = Array.isArray(message) ? message : [message];
      if (Array.isArray(message) && (message.length === 0 || message.length > schema.limits.max_batch_frames)) {
        throw new SchemaViolation("", "a batch holds 1 to max_batch_frames frames");
      }
      for (const frame of list) this.checkServerFrame(frame);
      return list;
    },
    checkHttp(name, body) {
      http[name](body, "");
    },
  };
}

/** Fetch /schema.json from the server that serves this page and build the validators. */
export async function loadSchema(url = "/schema.json") {
  const response = await fetch(url, { cache: "no-cache" });
  if (!response.ok) throw new Error(`could not load the schema (${response.status})`);
  return createValidator(await response.json());
}
