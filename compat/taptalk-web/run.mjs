// The compatibility suite: the published taptalksdk-web, in headless Chromium, against a
// real Palaver serving HTTPS and WSS with a throwaway certificate. Every assertion is on what
// the SDK's own callbacks report.
//
// Environment: PALAVER_BIN (default ../../target/debug/palaver), CHROMIUM (default
// /usr/bin/chromium).

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

async function openUser(browser, pageUrl, palaver) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
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

  const alice = await openUser(browser, pageUrl, palaver);
  const bob = await openUser(browser, pageUrl, palaver);
  const carol = await openUser(browser, pageUrl, palaver);

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

  for (const page of [alice, bob, carol]) {
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
