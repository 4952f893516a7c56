// Managing a room from the browser (src/manage.js) and what this device remembers (src/rooms-list.js).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { confirmsErase, eraseRoom, listMembers, managerToken, MANAGE_ERRORS, membersToList, refusal, reissueLink, removeMember, roomOfToken, tokenOfLink } from "../src/manage.js";
import { en } from "../src/lang/en.js";
import { nl } from "../src/lang/nl.js";
import { dropLink, findRoom, listRooms, rememberCreated, rememberJoined, rememberLink } from "../src/rooms-list.js";

/** A localStorage for node: the rooms list keeps its entries there. */
class MemoryStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
  }
  /** @param {string} key */
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  /** @param {string} key */
  removeItem(key) {
    this.items.delete(key);
  }
}

beforeEach(() => {
  Object.defineProperty(globalThis, "localStorage", { value: new MemoryStorage(), configurable: true });
});

const BASE = "https://room.example/";
const link = (token) => `${BASE}join#${token}`;

test("a link's token is its fragment, and a token names its room first", () => {
  assert.equal(tokenOfLink(link("r1.abc")), "r1.abc");
  assert.equal(tokenOfLink("https://room.example/join"), "");
  assert.equal(tokenOfLink(null), "");
  assert.equal(roomOfToken("r1.abc"), "r1");
});

test("the creator's token manages a room; else the neutral's link joined here; else nothing", () => {
  const entry = { room_id: "r1", title: "T", created: false, links: { neutral: link("r1.n"), buyer: link("r1.b") }, joined: ["buyer"], at: 0 };
  assert.equal(managerToken(entry), "");
  assert.equal(managerToken({ ...entry, joined: ["neutral"] }), "r1.n");
  assert.equal(managerToken({ ...entry, joined: ["neutral"], creator_token: "r1.c" }), "r1.c");
});

test("erasing is confirmed only by the room's title (case, spaces and Unicode form aside)", () => {
  assert.ok(confirmsErase("  consignment   DEAL ", "Consignment deal"));
  assert.ok(confirmsErase("Cafe\u0301", "Café"));
  assert.ok(!confirmsErase("Consignment", "Consignment deal"));
  assert.ok(!confirmsErase("", "Consignment deal"));
  assert.ok(!confirmsErase("", "   "));
});

test("every refusal becomes a known code with its Retry-After", () => {
  assert.deepEqual(refusal(429, { error: { code: "rate_limited" } }, "120"), { ok: false, code: "rate_limited", retryAfter: 120, status: 429 });
  assert.equal(refusal(404, { error: { code: "unknown_room" } }, null).code, "unknown_room");
  assert.equal(refusal(403, { error: { code: "not_permitted" } }, null).code, "not_permitted");
  assert.equal(refusal(503, null, null).code, "unavailable");
  assert.equal(refusal(429, null, "x").retryAfter, null);
  assert.equal(refusal(400, { error: { code: "something_new" } }, null).code, "server");
  for (const status of [400, 403, 404, 409, 429, 500, 503]) {
    assert.ok(MANAGE_ERRORS.includes(refusal(status, { error: { code: "bad_json" } }, null).code));
  }
});

/** A fetch that answers once with `status` and `body`, keeping what it was asked. */
function answering(status, body, headers = {}) {
  const asked = [];
  /** @type {any} */
  const fetcher = async (url, init) => {
    asked.push({ url, init });
    return new Response(body === null ? null : JSON.stringify(body), { status, headers });
  };
  return { fetcher, asked };
}

test("a reissue sends the token in a header only and makes the new link absolute", async () => {
  const { fetcher, asked } = answering(200, { role: "seller", link: "/join#r%2F1.new" });
  const answer = await reissueLink({ roomId: "r/1", role: "seller", token: "r/1.c", base: BASE, fetcher });
  assert.deepEqual(answer, { ok: true, link: "https://room.example/join#r%2F1.new" });
  assert.equal(asked[0].url, "/api/rooms/r%2F1/links/seller");
  assert.equal(asked[0].init.method, "POST");
  assert.equal(asked[0].init.headers.Authorization, "Bearer r/1.c");
  assert.ok(!asked[0].url.includes("r/1.c"));
});

test("a refused reissue or erase says why; no answer at all is a network refusal", async () => {
  const limited = answering(429, { error: { code: "rate_limited", message: "..." } }, { "Retry-After": "30" });
  assert.deepEqual(await reissueLink({ roomId: "r1", role: "buyer", token: "t", base: BASE, fetcher: limited.fetcher }), {
    ok: false,
    code: "rate_limited",
    retryAfter: 30,
    status: 429,
  });
  const gone = answering(404, { error: { code: "unknown_room", message: "..." } });
  assert.deepEqual(await eraseRoom({ roomId: "r1", token: "t", fetcher: gone.fetcher }), { ok: false, code: "unknown_room", retryAfter: null, status: 404 });
  assert.equal(gone.asked[0].init.method, "DELETE");
  /** @type {any} */
  const down = async () => {
    throw new TypeError("Failed to fetch");
  };
  assert.deepEqual(await eraseRoom({ roomId: "r1", token: "t", fetcher: down }), { ok: false, code: "network", retryAfter: null, status: 0 });
  assert.deepEqual(await eraseRoom({ roomId: "r1", token: "t", fetcher: answering(204, null).fetcher }), { ok: true });
});

test("a created room keeps its creator token, and a reissued link replaces the old one", () => {
  rememberCreated({ room_id: "r1", links: { buyer: link("r1.b"), seller: link("r1.s") }, creator_token: "r1.c" }, "Deal");
  rememberLink("r1", "seller", link("r1.s2"));
  rememberLink("elsewhere", "seller", link("x.s"));
  const entry = findRoom("r1");
  assert.equal(entry?.creator_token, "r1.c");
  assert.equal(entry?.links.seller, link("r1.s2"));
  assert.equal(findRoom("elsewhere"), null);
});

test("a revoked link is dropped from the list, and a room with nothing left is forgotten", () => {
  rememberJoined("r1", { role: "seller", title: "Deal", link: link("r1.s") });
  rememberCreated({ room_id: "r2", links: { seller: link("r2.s") }, creator_token: "r2.c" }, "Kept");
  rememberJoined("r2", { role: "seller", link: link("r2.s") });
  dropLink("r1", "seller", link("r1.other"));  // a newer link stays
  assert.equal(findRoom("r1")?.links.seller, link("r1.s"));
  dropLink("r1", "seller", link("r1.s"));
  dropLink("r2", "seller", link("r2.s"));
  assert.deepEqual(listRooms().map((e) => e.room_id), ["r2"]);  // created here: still managed here
  assert.deepEqual(findRoom("r2")?.joined, []);
  assert.equal(findRoom("r2")?.links.seller, undefined);
});

test("the members list is asked for with the token in a header, and malformed entries are left out", async () => {
  const { fetcher, asked } = answering(200, {
    members: [{ id: "m1", role: "buyer", name: "Bea" }, { id: "", role: "buyer", name: "x" }, { role: "seller", name: "no id" }, null, { id: "m2", role: "seller", name: "" }],
  });
  assert.deepEqual(await listMembers({ roomId: "r/1", token: "r/1.c", fetcher }), {
    ok: true,
    members: [{ id: "m1", role: "buyer", name: "Bea" }, { id: "m2", role: "seller", name: "" }],
  });
  assert.equal(asked[0].url, "/api/rooms/r%2F1/members");
  assert.equal(asked[0].init.method, "GET");
  assert.equal(asked[0].init.headers.Authorization, "Bearer r/1.c");
  assert.deepEqual(await listMembers({ roomId: "r1", token: "t", fetcher: answering(200, { members: "no" }).fetcher }), { ok: false, code: "server", retryAfter: null, status: 200 });
  const refused = answering(403, { error: { code: "not_permitted", message: "..." } });
  assert.deepEqual(await listMembers({ roomId: "r1", token: "t", fetcher: refused.fetcher }), { ok: false, code: "not_permitted", retryAfter: null, status: 403 });
});

test("members are listed by role, then name, and the manager's own seat is marked", () => {
  const members = [
    { id: "n1", role: "neutral", name: "Nia" },
    { id: "s1", role: "seller", name: "Sam" },
    { id: "b2", role: "buyer", name: "Bob" },
    { id: "b1", role: "buyer", name: "Ann" },
  ];
  const listed = membersToList(members, ["buyer", "seller", "neutral"], "n1");
  assert.deepEqual(listed.map((m) => [m.id, m.own]), [["b1", false], ["b2", false], ["s1", false], ["n1", true]]);
  assert.ok(membersToList(members, ["buyer", "seller", "neutral"], null).every((m) => !m.own));
  assert.deepEqual(members.map((m) => m.id), ["n1", "s1", "b2", "b1"]);  // the input is not reordered
});

test("removing a member is a DELETE of its id; the server's typed refusals come through", async () => {
  const done = answering(204, null);
  assert.deepEqual(await removeMember({ roomId: "r1", memberId: "m/1", token: "r1.c", fetcher: done.fetcher }), { ok: true });
  assert.equal(done.asked[0].url, "/api/rooms/r1/members/m%2F1");
  assert.equal(done.asked[0].init.method, "DELETE");
  const gone = answering(404, { error: { code: "member.unknown", message: "..." } });
  assert.deepEqual(await removeMember({ roomId: "r1", memberId: "m1", token: "t", fetcher: gone.fetcher }), { ok: false, code: "member.unknown", retryAfter: null, status: 404 });
  const full = answering(409, { error: { code: "member.too_many", message: "..." } });
  assert.deepEqual(await removeMember({ roomId: "r1", memberId: "m1", token: "t", fetcher: full.fetcher }), { ok: false, code: "member.too_many", retryAfter: null, status: 409 });
});

test("every refusal the dialog can show has its text in both languages", () => {
  for (const code of MANAGE_ERRORS) {
    assert.ok(`manage.error.${code}` in en, `en: manage.error.${code}`);
    assert.ok(`manage.error.${code}` in nl, `nl: manage.error.${code}`);
  }
});
