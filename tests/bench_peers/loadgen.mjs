// The open-loop load generator of tests/bench_openloop.py (bench only; never served).
//
//   node loadgen.mjs spec.json
//
// Opens every client of the spec, then has each send ~`bytes`-byte edits at
// `rate` per second on a fixed schedule with a random phase, never waiting for
// an answer. Every edit carries a marker `~E<client>.<seq>~` in its text; a
// receiver finds the markers in the raw bytes of what arrives (a batch may hold
// several), so reading costs the same for every system. It records, for every
// edit sent in the measured window, the time from the moment it was handed to
// the socket until each other member of its room has it (p50/p99/max), the
// deliveries missing after the drain (loss), and arrivals out of order or
// twice. It also records how late each send left against its schedule, and
// its own CPU, so that a run where the generator fell behind can be seen.
//
// Systems and the messages they get:
//   valueroom  a msgpack `cmd` frame `item.edit` (description = marker + padding),
//              after `join` and, per room, one `item.add`;
//   raw        the marker + padding as one binary message;
//   yws        a y-protocol sync `update` message: a real Yjs update (a map
//              set) made with yjs before the run, so making it costs nothing
//              during the run.
//
// Stdout: one JSON object per line: {"event": "ready" | "measure-start" |
// "measure-end" | "result", ...}. In `idle` mode it connects (and joins),
// says "ready", and closes everything when a line arrives on stdin.

import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { encode } from '@msgpack/msgpack'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const { system, rate, warmup, duration, drain, bytes } = spec
const clients = spec.clients // [{url, room, token?, first?}]
const say = (event, extra = {}) => process.stdout.write(JSON.stringify({ event, ...extra }) + '\n')

// Deterministic randomness for the phases (mulberry32).
let seed = spec.seed >>> 0
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const TILDE = 0x7e
const E = 0x45
const DOT = 0x2e
const ERROR = Buffer.from([0xa4, 0x74, 0x79, 0x70, 0x65, 0xa5, 0x65, 0x72, 0x72, 0x6f, 0x72]) // "type": "error"

const text = (cid, seq) => {
  const marker = `~E${cid}.${seq}~`
  return marker + 'x'.repeat(Math.max(0, bytes - 60 - marker.length))
}

// --- rooms and members ------------------------------------------------------

const rooms = new Map() // room -> [cid]
clients.forEach((c, cid) => {
  if (!rooms.has(c.room)) rooms.set(c.room, [])
  rooms.get(c.room).push(cid)
})
const slot = new Int32Array(clients.length) // a client's index within its room
for (const members of rooms.values()) members.forEach((cid, i) => { slot[cid] = i })
const roomSize = (cid) => rooms.get(clients[cid].room).length

// --- the schedule -----------------------------------------------------------

const perClient = Math.floor((warmup + duration) * rate)
const firstMeasured = Math.floor(warmup * rate)
const order = clients.map((_, cid) => ({ cid, phase: random() / rate })).sort((a, b) => a.phase - b.phase)
const sentAt = clients.map(() => new Float64Array(perClient))

// --- messages, made before the run ------------------------------------------

const messages = clients.map((_, cid) => new Array(perClient))
if (system === 'yws') {
  for (let cid = 0; cid < clients.length; cid++) {
    const doc = new Y.Doc()
    doc.clientID = 1000 + cid
    const map = doc.getMap('m')
    let update = null
    doc.on('update', (u) => { update = u })
    for (let seq = 0; seq < perClient; seq++) {
      map.set(`c${cid}`, text(cid, seq))
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, 0) // messageSync
      encoding.writeVarUint(encoder, 2) // messageYjsUpdate
      encoding.writeVarUint8Array(encoder, update)
      messages[cid][seq] = encoding.toUint8Array(encoder)
    }
    doc.destroy()
  }
} else if (system === 'valueroom') {
  for (let cid = 0; cid < clients.length; cid++) {
    for (let seq = 0; seq < perClient; seq++) {
      messages[cid][seq] = encode({
        type: 'cmd',
        op: `c${cid}-${seq}`,
        name: 'item.edit',
        args: { item_id: 'bench', description: text(cid, seq) },
      })
    }
  }
} else {
  for (let cid = 0; cid < clients.length; cid++) {
    for (let seq = 0; seq < perClient; seq++) messages[cid][seq] = Buffer.from(text(cid, seq))
  }
}

// --- receiving --------------------------------------------------------------

let measuredSends = 0
let delivered = 0 // deliveries of measured sends to other members
let reordered = 0
let duplicated = 0
let errors = 0
let latencies = new Float64Array(1 << 16)
let latencyCount = 0
const lastSeen = clients.map((_, cid) => new Int32Array(roomSize(cid)).fill(-1))
let wantAll = null // resolves when every measured delivery has arrived

const record = (latency) => {
  if (latencyCount === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2)
    bigger.set(latencies)
    latencies = bigger
  }
  latencies[latencyCount++] = latency
}

const onMessage = (receiver, data, now) => {
  if (system === 'valueroom' && data.indexOf(ERROR) !== -1) errors++
  let at = data.indexOf(TILDE)
  while (at !== -1 && at + 1 < data.length) {
    if (data[at + 1] !== E) {
      at = data.indexOf(TILDE, at + 1)
      continue
    }
    // Binary framing (msgpack integers, Yjs clocks) may hold the bytes "~E"
    // by chance: only "~E<digits>.<digits>~" naming a real send is a marker.
    let i = at + 2
    let cid = 0
    let digits = 0
    while (i < data.length && data[i] >= 48 && data[i] <= 57 && digits < 7) { cid = cid * 10 + data[i++] - 48; digits++ }
    if (digits === 0 || data[i] !== DOT) { at = data.indexOf(TILDE, at + 1); continue }
    i++
    let seq = 0
    digits = 0
    while (i < data.length && data[i] >= 48 && data[i] <= 57 && digits < 8) { seq = seq * 10 + data[i++] - 48; digits++ }
    if (digits === 0 || data[i] !== TILDE || cid >= clients.length || seq >= perClient) { at = data.indexOf(TILDE, at + 1); continue }
    at = data.indexOf(TILDE, i + 1)
    if (cid === receiver) continue // one's own echo is not a delivery
    const last = lastSeen[receiver]
    const from = slot[cid]
    if (seq === last[from]) { duplicated++; continue }
    if (seq < last[from]) reordered++
    else last[from] = seq
    if (seq >= firstMeasured) {
      record(now - sentAt[cid][seq])
      delivered++
      if (wantAll !== null && delivered >= wantAll.expected) wantAll.resolve()
    }
  }
}

// --- connecting -------------------------------------------------------------

const sockets = new Array(clients.length)

const open = (cid) => new Promise((resolve, reject) => {
  const c = clients[cid]
  const ws = new WebSocket(c.url, { perMessageDeflate: false, maxPayload: 0 })
  ws.binaryType = 'nodebuffer'
  sockets[cid] = ws
  let joined = false
  const timer = setTimeout(() => reject(new Error(`client ${cid}: no welcome in 30 s`)), 30000)
  ws.on('error', (err) => reject(err))
  ws.on('close', (code) => {
    if (!joined) reject(new Error(`client ${cid}: closed ${code} before it joined`))
  })
  ws.on('open', () => {
    if (system === 'valueroom') {
      ws.send(encode({ type: 'join', token: c.token, name: `c${cid}` }))
    } else {
      joined = true
      clearTimeout(timer)
      resolve()
    }
  })
  ws.on('message', (data) => {
    if (!joined) {
      // The first frame (or batch) after a join holds the welcome.
      joined = true
      clearTimeout(timer)
      resolve()
      return
    }
    onMessage(cid, data, performance.now())
  })
})

const addItem = (cid) => new Promise((resolve, reject) => {
  const ws = sockets[cid]
  const timer = setTimeout(() => reject(new Error(`room of client ${cid}: no ack for item.add`)), 30000)
  const ACK = Buffer.from('setup-item')
  const listener = (data) => {
    if (data.indexOf(ACK) !== -1) {
      clearTimeout(timer)
      ws.off('message', listener)
      resolve()
    }
  }
  ws.on('message', listener)
  ws.send(encode({ type: 'cmd', op: 'setup-item', name: 'item.add', args: { item_id: 'bench', kind: 'term', title: 'Bench' } }))
})

const inBatches = async (count, size, fn) => {
  for (let start = 0; start < count; start += size) {
    const batch = []
    for (let i = start; i < Math.min(count, start + size); i++) batch.push(fn(i))
    await Promise.all(batch)
  }
}

const percentile = (sorted, q) => sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q / 100 * sorted.length) - 1))]

const main = async () => {
  await inBatches(clients.length, 64, open)
  if (system === 'valueroom') {
    const firsts = [...rooms.values()].map((members) => members[0])
    await inBatches(firsts.length, 64, (i) => addItem(firsts[i]))
  }
  say('ready', { clients: clients.length })
  if (spec.idle) {
    const lines = createInterface({ input: process.stdin })
    await new Promise((resolve) => lines.once('line', resolve))
    lines.close()
    for (const ws of sockets) ws.terminate()
    say('result', { clients: clients.length })
    process.exit(0)
  }

  const lateness = new Float64Array(perClient * clients.length)
  let lateCount = 0
  const start = performance.now() + 200
  const period = 1000 / rate
  const total = perClient * order.length
  const timeOf = (n) => start + order[n % order.length].phase * 1000 + Math.floor(n / order.length) * period
  const windowStart = start + firstMeasured * period
  let next = 0
  let cpuStart = null
  let measureStarted = false
  await new Promise((resolve) => {
    const tick = () => {
      let now = performance.now()
      if (!measureStarted && now >= windowStart) {
        measureStarted = true
        cpuStart = process.cpuUsage()
        say('measure-start')
      }
      while (next < total && timeOf(next) <= now) {
        const { cid } = order[next % order.length]
        const seq = Math.floor(next / order.length)
        const ws = sockets[cid]
        now = performance.now()
        if (seq >= firstMeasured) {
          lateness[lateCount++] = now - timeOf(next)
          measuredSends++
        }
        sentAt[cid][seq] = now
        if (ws.readyState === WebSocket.OPEN) ws.send(messages[cid][seq])
        next++
      }
      if (next < total) setTimeout(tick, Math.max(0, timeOf(next) - performance.now()))
      else resolve()
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  const cpu = process.cpuUsage(cpuStart)
  const windowSeconds = (performance.now() - windowStart) / 1000
  say('measure-end')
  let expected = 0
  for (const members of rooms.values()) expected += members.length * (members.length - 1) * (perClient - firstMeasured)
  if (delivered < expected) {
    await new Promise((resolve) => {
      wantAll = { expected, resolve }
      setTimeout(resolve, drain * 1000)
    })
  }
  const sorted = latencies.slice(0, latencyCount).sort()
  const late = lateness.slice(0, lateCount).sort()
  say('result', {
    sends: measuredSends,
    expected,
    delivered,
    lost: expected - delivered,
    reordered,
    duplicated,
    errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
    late_p99: percentile(late, 99),
    gen_cpu: (cpu.user + cpu.system) / 1e6 / windowSeconds,
    window: windowSeconds,
  })
  for (const ws of sockets) ws.terminate()
  process.exit(0)
}

main().catch((err) => {
  say('failed', { error: String(err && err.stack || err) })
  process.exit(1)
})
