// The compatibility suite: the published taptalksdk-web, in headless Chromium, against a
// real Palaver serving HTTPS and WSS with a throwaway certificate. Every assertion is on what
// the SDK's own callbacks report.
//
// Environment: PALAVER_BIN (default ../../target/debug/palaver), CHROMIUM (default
// /usr/bin/chromium), DEBUG_WS=1 to print every socket frame the pages receive.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const here = path.dirname(new URL(import.meta.url).pathname);
const palaverBin = process.env.PALAVER_BIN ?? path.resolve(here, '../../target/debug/palaver');
const chromiumBin = process.env.CHROMIUM ?? '/usr/bin/chromium';
const work = mkdtempSync(path.join(tmpdir(), 'palaver-compat-'));
const cleanups = [() => rmSync(work, { recursive: true, force: true })];

function step(name) {
  console.log(`- ${name}`);
}

// A certificate for 127.0.0.1 that only this run trusts.
function makeCertificate() {
  const cert = path.join(work, 'cert.pem');
  const key = path.join(work, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert, key, pem: readFileSync(cert) };
}

async function startPalaver(tls) {
  const dataDir = path.join(work, 'data');
  const creds = JSON.parse(execFileSync(palaverBin, ['app', 'create', '--name', 'compat', '--json', '--data-dir', dataDir]).toString());
  const server = spawn(palaverBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--tls-cert', tls.cert, '--tls-key', tls.key], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', PALAVER_LOG: 'info' },
  });
  cleanups.push(() => server.kill('SIGTERM'));
  const base = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`palaver did not start:\n${log}`)), 20000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.match(/listening on (https:\/\/[0-9.:]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`palaver exited with ${code}:\n${log}`)));
  });
  return { base, creds };
}

// The customer's backend: Server API calls trusting exactly our certificate.
function serverApi(palaver, tls, apiPath, body) {
  const url = new URL(apiPath, palaver.base);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca: tls.pem,
      headers: { 'Server-Key': palaver.creds.server_key, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const envelope = JSON.parse(text);
        if (envelope.status !== 200) reject(new Error(`${apiPath}: ${text}`));
        else resolve(envelope.data);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// Serves the test page (plain HTTP on another port: the SDK calls Palaver cross-origin).
async function startPageServer() {
  const types = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = createServer((req, res) => {
    const file = path.join(here, 'page', path.normalize(new URL(req.url, 'http://x').pathname === '/' ? '/index.html' : new URL(req.url, 'http://x').pathname));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return `http://127.0.0.1:${server.address().port}/`;
}

async function openUser(browser, pageUrl, palaver, name) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  page error (${name}): ${e.stack}`));
  if (process.env.DEBUG_WS) {
    page.on('websocket', (ws) => {
      const t0 = Date.now();
      ws.on('framereceived', (f) => console.log(`  [${name} ws +${Date.now() - t0}] <- ${String(f.payload).slice(0, 150)}`));
      ws.on('close', () => console.log(`  [${name} ws +${Date.now() - t0}] closed`));
    });
  }
  await page.goto(pageUrl);
  await page.evaluate(([id, secret, base]) => window.harness.init(id, secret, base), [palaver.creds.app_key_id, palaver.creds.app_key_secret, palaver.base]);
  return page;
}

async function login(page, palaver, tls, xcUserID, fullName) {
  const { ticket } = await serverApi(palaver, tls, '/v1/server/auth_ticket/request', { xcUserID, fullName });
  await page.evaluate((t) => window.harness.login(t), ticket);
  return page.evaluate(() => window.harness.me());
}

// Waits for the SDK to report a callback of `kind` whose payload matches `expected`.
async function waitFor(page, kind, expected, timeout = 15000) {
  await page.waitForFunction(([k, e]) => window.harness.find(k, e) !== null, [kind, expected], { timeout, polling: 50 });
  return page.evaluate(([k, e]) => window.harness.find(k, e).payload, [kind, expected]);
}

async function main() {
  const tls = makeCertificate();
  const palaver = await startPalaver(tls);
  const pageUrl = await startPageServer();
  const browser = await chromium.launch({
    executablePath: chromiumBin,
    args: ['--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanups.unshift(() => browser.close());
  console.log(`palaver ${palaver.base}, page ${pageUrl}, chromium ${browser.version()}`);

  const alice = await openUser(browser, pageUrl, palaver, 'alice');
  const bob = await openUser(browser, pageUrl, palaver, 'bob');
  const carol = await openUser(browser, pageUrl, palaver, 'carol');

  step('users log in with tickets from the Server API and connect over wss://');
  const aliceUser = await login(alice, palaver, tls, 'alice', 'Alice Liddell');
  const bobUser = await serverApi(palaver, tls, '/v1/server/user/update', { xcUserID: 'bob', fullName: 'Bob Builder' })
    .then(() => serverApi(palaver, tls, '/v1/server/user/get', { xcUserID: 'bob' }))
    .then((d) => d.user);
  assert.equal(aliceUser.xcUserID, 'alice');
  await alice.evaluate(() => window.harness.connect());

  step('alice writes to bob while bob is away');
  const personal = await alice.evaluate((u) => window.harness.personalRoomWith(u), { userID: bobUser.userID, fullname: bobUser.fullname, imageURL: bobUser.imageURL });
  const ids = [Number(aliceUser.userID), Number(bobUser.userID)].sort((a, b) => a - b);
  assert.equal(personal.roomID, `${ids[0]}-${ids[1]}`);
  for (const text of ['Are you there?', 'Call me when you can']) {
    await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [personal, text]);
    await waitFor(alice, 'newMessage', { body: text, 'user.userID': aliceUser.userID });
  }

  step('bob logs in and his room list shows two unread messages');
  await login(bob, palaver, tls, 'bob', 'Bob Builder');
  const rooms = await bob.evaluate(() => window.harness.roomList());
  const entry = rooms[personal.roomID];
  assert.ok(entry, `room ${personal.roomID} in ${JSON.stringify(Object.keys(rooms))}`);
  assert.equal(entry.unreadCount, 2);
  assert.equal(entry.lastMessage.body, 'Call me when you can', 'the SDK decrypts what Palaver stored');
  await bob.evaluate(() => window.harness.connect());

  step('messages both ways, each side reading the other\'s text');
  await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [personal, 'Hello Bob 👋']);
  const atBob = await waitFor(bob, 'newMessage', { body: 'Hello Bob 👋' });
  assert.equal(atBob.user.userID, aliceUser.userID);
  assert.equal(atBob.room.roomID, personal.roomID);
  assert.notEqual(atBob.messageID, '0');
  const bobRoom = { ...atBob.room, type: 1 };
  await bob.evaluate(([room, t]) => window.harness.sendText(room, t), [bobRoom, 'Hi Alice!']);
  const atAlice = await waitFor(alice, 'newMessage', { body: 'Hi Alice!' });
  assert.equal(atAlice.user.userID, bobUser.userID);

  step('delivery reaches the sender (bob\'s SDK reports it on its own)');
  await waitFor(alice, 'updateMessage', { messageID: atBob.messageID, isDelivered: true });

  step('typing reaches the other side');
  await bob.evaluate((roomID) => window.harness.startTyping(roomID), personal.roomID);
  const typing = await waitFor(alice, 'startTyping', { roomID: personal.roomID });
  assert.equal(typing.user.userID, bobUser.userID);
  await bob.evaluate((roomID) => window.harness.stopTyping(roomID), personal.roomID);
  await waitFor(alice, 'stopTyping', { roomID: personal.roomID });

  step('read status reaches the sender');
  await bob.evaluate((id) => window.harness.markRead([id]), atBob.messageID);
  const read = await waitFor(alice, 'updateMessage', { messageID: atBob.messageID, isRead: true });
  assert.equal(read.isDelivered, true);
  const bobList = await serverApi(palaver, tls, '/v1/server/room/get_list_by_user', { xcUserID: 'bob' });
  assert.equal(bobList.rooms[0].unreadCount, 0, 'reading the newest message read the ones before');

  step('a group of three created through the client API delivers to every member');
  const carolUser = await login(carol, palaver, tls, 'carol', 'Carol Danvers');
  await carol.evaluate(() => window.harness.connect());
  const group = await alice.evaluate((ids) => window.harness.createGroup('Weekend trip', ids), [bobUser.userID, carolUser.userID]);
  assert.equal(group.type, 2);
  assert.equal(group.name, 'Weekend trip');
  await waitFor(bob, 'newMessage', { 'room.roomID': group.roomID, action: 'room/create' });
  await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [group, 'Who brings the tent?']);
  for (const [page, name] of [[bob, 'bob'], [carol, 'carol']]) {
    const m = await waitFor(page, 'newMessage', { body: 'Who brings the tent?' });
    assert.equal(m.room.roomID, group.roomID, `${name} got it in the group`);
    assert.equal(m.user.userID, aliceUser.userID);
  }
  await carol.evaluate(([room, t]) => window.harness.sendText(room, t), [group, 'I will']);
  await waitFor(alice, 'newMessage', { body: 'I will', 'user.userID': carolUser.userID });
  await waitFor(bob, 'newMessage', { body: 'I will', 'user.userID': carolUser.userID });

  step('an image sent into a new personal chat reaches the other side with its width and height');
  // Alice and carol have no room yet: the upload names a personal room with no message.
  const aliceCarol = await alice.evaluate((u) => window.harness.personalRoomWith(u), { userID: carolUser.userID, fullname: carolUser.fullname, imageURL: carolUser.imageURL });
  const sentImage = await alice.evaluate(([room]) => window.harness.sendImage(room, 96, 54, 'A wide one'), [aliceCarol]);
  assert.ok(sentImage.data.fileID, `the upload answered a fileID: ${JSON.stringify(sentImage.data)}`);
  const image = await waitFor(carol, 'newMessage', { 'room.roomID': aliceCarol.roomID, type: 1002 });
  assert.equal(image.user.userID, aliceUser.userID);
  assert.equal(image.body, '🖼 A wide one');
  assert.equal(image.data.fileID, sentImage.data.fileID);
  assert.equal(image.data.width, 96, `width in ${JSON.stringify({ ...image.data, thumbnail: '…' })}`);
  assert.equal(image.data.height, 54);
  assert.equal(image.data.caption, 'A wide one');
  assert.equal(image.data.mediaType, 'image/png');
  const downloaded = await carol.evaluate((m) => window.harness.download(m), image);
  assert.equal(downloaded.contentType, 'image/png');
  assert.deepEqual([downloaded.width, downloaded.height], [96, 54], 'the downloaded file decodes at that size');

  step('a file message in the group reaches every member, and bob downloads it');
  const fileText = 'packing list: tent, stove, 3 sleeping bags\n';
  await alice.evaluate(([room, t]) => window.harness.sendFile(room, 'packing.txt', t), [group, fileText]);
  for (const [page, name] of [[bob, 'bob'], [carol, 'carol']]) {
    const m = await waitFor(page, 'newMessage', { 'room.roomID': group.roomID, type: 1004 });
    assert.equal(m.body, '📎 packing.txt', `${name} got the file message`);
    assert.equal(m.data.fileName, 'packing.txt');
    assert.equal(Number(m.data.size), fileText.length);
    if (name === 'bob') {
      const got = await bob.evaluate((msg) => window.harness.download(msg), m);
      assert.equal(got.bytes, fileText.length, `bob downloads it: ${JSON.stringify(got)}`);
    }
  }

  step('a burst of 120 messages, then the other side pages back through all of them');
  await serverApi(palaver, tls, '/v1/server/user/update', { xcUserID: 'dave', fullName: 'Dave Bowman' });
  const daveUser = (await serverApi(palaver, tls, '/v1/server/user/get', { xcUserID: 'dave' })).user;
  const carolDave = await carol.evaluate((u) => window.harness.personalRoomWith(u), { userID: daveUser.userID, fullname: daveUser.fullname, imageURL: daveUser.imageURL });
  const burst = 120;
  await carol.evaluate(([room, n]) => window.harness.sendBurst(room, 'burst', n), [carolDave, burst]);
  await carol.waitForFunction(([roomID, n]) => window.harness.count('newMessage', { 'room.roomID': roomID }) >= n, [carolDave.roomID, burst], { timeout: 30000, polling: 100 });
  const dave = await openUser(browser, pageUrl, palaver, 'dave');
  await login(dave, palaver, tls, 'dave', 'Dave Bowman');
  const pageSize = 50;
  let seen = 0;
  let history;
  for (let pageNo = 1; ; pageNo++) {
    assert.ok(pageNo <= Math.ceil(burst / pageSize), `no more than ${Math.ceil(burst / pageSize)} pages`);
    history = await dave.evaluate(([roomID, n]) => window.harness.olderMessages(roomID, n), [carolDave.roomID, pageSize]);
    const added = history.messages.length - seen;
    assert.equal(added, Math.min(pageSize, burst - seen), `page ${pageNo} brought ${added} new messages (${seen} before)`);
    seen = history.messages.length;
    if (!history.hasMore) break;
  }
  assert.equal(seen, burst);
  const expected = Array.from({ length: burst }, (_, i) => `burst ${String(burst - i).padStart(3, '0')}`);
  assert.deepEqual(history.messages.map((m) => m.body), expected, 'all of them, newest first, each once');
  assert.equal(new Set(history.messages.map((m) => m.messageID)).size, burst, 'distinct message IDs');
  for (let i = 1; i < burst; i++) assert.ok(history.messages[i - 1].created > history.messages[i].created, `created decreases at ${i}`);
  assert.ok(history.messages.every((m) => m.userID === carolUser.userID));

  step('offline catch-up: bob drops off, misses messages, and the SDK\'s update call reports them');
  const beforeDrop = await bob.evaluate(() => window.harness.mark());
  await bob.evaluate(() => window.harness.disconnect());
  await bob.waitForFunction((from) => window.harness.find('closed', {}, from) !== null, beforeDrop, { timeout: 10000, polling: 50 });
  // The browser goes offline too: the SDK asks for what it missed (new_and_updated) only after
  // it saw the 'offline' event; otherwise getUpdatedRoomList answers from its cache.
  await bob.context().setOffline(true);
  assert.equal(await bob.evaluate(() => window.harness.isConnected()), false);
  const missed = ['Missed one', 'Missed two', 'Missed three'];
  for (const text of missed) {
    await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [personal, text]);
    await waitFor(alice, 'newMessage', { body: text, 'user.userID': aliceUser.userID });
  }
  await bob.context().setOffline(false);
  await bob.waitForFunction(() => window.harness.online());
  const askedForUpdates = bob.waitForRequest((r) => r.url().endsWith('/v1/chat/message/new_and_updated'), { timeout: 15000 });
  const caughtUp = await bob.evaluate(() => window.harness.updatedRoomList());
  await askedForUpdates; // the socket is still closed: only the update call can have brought them
  assert.equal(caughtUp[personal.roomID]?.lastMessage?.body, 'Missed three', 'the room list shows the last missed message');
  const cached = (await bob.evaluate((roomID) => window.harness.cachedChat(roomID), personal.roomID)).map((m) => m.body);
  for (const text of missed) assert.ok(cached.includes(text), `${text} in bob's room after the update call`);
  for (const text of missed) {
    assert.equal(await bob.evaluate(([t, from]) => window.harness.find('newMessage', { body: t }, from), [text, beforeDrop]), null, 'not from the socket');
  }
  await bob.evaluate(() => window.harness.connect());
  await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [personal, 'Welcome back']);
  await waitFor(bob, 'newMessage', { body: 'Welcome back' });
  // The SDK handles socket events from a queue polled every 100 ms, also after logout (and
  // then throws on them): let it finish the receipts that follow 'Welcome back'.
  await new Promise((r) => setTimeout(r, 300));

  step('logout with an open socket: the server closes it and nothing more reaches bob\'s page');
  const beforeLogout = await bob.evaluate(() => window.harness.mark());
  await bob.evaluate(() => window.harness.logout());
  await bob.waitForFunction((from) => window.harness.find('closed', {}, from) !== null, beforeLogout, { timeout: 10000, polling: 50 });
  assert.equal(await bob.evaluate(() => window.harness.isConnected()), false);
  await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [group, 'Bob went home']);
  await waitFor(carol, 'newMessage', { body: 'Bob went home' });
  await alice.evaluate(([room, t]) => window.harness.sendText(room, t), [personal, 'Bob?']);
  await waitFor(alice, 'newMessage', { body: 'Bob?', 'user.userID': aliceUser.userID });
  await new Promise((r) => setTimeout(r, 1000));
  for (const text of ['Bob went home', 'Bob?']) {
    assert.equal(await bob.evaluate(([t, from]) => window.harness.find('newMessage', { body: t }, from), [text, beforeLogout]), null, `${text} did not reach bob`);
  }

  // Not driven: taptalksdk-web 1.0.310 has no function for starring or pinning messages,
  // muting, pinning, marking unread or clearing rooms, scheduled messages, message details
  // (get_details, get_total_read) or a room's shared content (get_shared_content).

  for (const page of [alice, bob, carol, dave]) {
    assert.equal(await page.evaluate(() => window.harness.find('tokenExpired', {})), null, 'no session was lost');
  }
  console.log('taptalksdk-web compatibility: all checks passed');
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(`taptalksdk-web compatibility FAILED: ${e.stack ?? e}`);
} finally {
  for (const clean of cleanups) {
    try {
      await clean();
    } catch {}
  }
}
process.exit(failed ? 1 : 0);
