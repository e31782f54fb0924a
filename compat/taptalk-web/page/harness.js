// In-page wrapper around the SDK's public API: promises instead of callbacks, and every
// listener callback recorded in `harness.events` for the runner to assert on.
(function () {
  const sdk = window.TapTalk;
  const events = [];
  const record = (kind, payload) => events.push({ kind, payload: JSON.parse(JSON.stringify(payload ?? null)) });
  const callback = (resolve, reject) => ({
    onSuccess: resolve,
    onError: (code, message) => reject(new Error(`${code} ${message}`)),
  });

  const at = (value, path) => path.split('.').reduce((v, key) => (v == null ? undefined : v[key]), value);
  const matches = (e, kind, expected) =>
    e.kind === kind && Object.entries(expected).every(([path, value]) => at(e.payload, path) === value);
  // Some SDK calls never call back when they have nothing to report: fail instead of hanging.
  const within = (ms, what, promise) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no callback in ${ms} ms`)), ms))]);
  // A message as a test wants to see it, without the thumbnail and other bulk.
  const brief = (m) => ({ localID: m.localID, messageID: m.messageID, body: m.body, created: m.created, type: m.type, userID: m.user && m.user.userID });
  // Test files made in the page: a PNG of the given size, a small text file.
  const png = (width, height, name) =>
    new Promise((resolve) => {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#3a7';
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = '#fff';
      ctx.fillRect(width / 4, height / 4, width / 2, height / 2);
      canvas.toBlob((blob) => resolve(new File([blob], name, { type: 'image/png' })), 'image/png');
    });
  const uploadCallback = (resolve, reject) => ({
    onStart: (message) => record('uploadStart', message),
    onProgress: () => {},
    onSuccess: resolve,
    onError: (code, message) => reject(new Error(`${code} ${message}`)),
  });

  window.harness = {
    events,
    // The first recorded callback of `kind` whose payload has every `path: value` of `expected`.
    find: (kind, expected, from = 0) => events.slice(from).find((e) => matches(e, kind, expected)) ?? null,
    count: (kind, expected) => events.filter((e) => matches(e, kind, expected)).length,
    // Where the next recorded callback will go: pass it to `find` to see only later ones.
    mark: () => events.length,
    init(appKeyId, appKeySecret, baseUrl) {
      sdk.taptalk.init(appKeyId, appKeySecret, baseUrl);
      sdk.taptalk.addTapListener({ onTapTalkRefreshTokenExpired: () => record('tokenExpired', {}) });
      sdk.tapCoreChatRoomManager.addMessageListener({
        onReceiveNewMessage: (message) => record('newMessage', message),
        onReceiveUpdateMessage: (message) => record('updateMessage', message),
      });
      sdk.tapCoreChatRoomManager.addRoomStatusListener({
        onReceiveStartTyping: (roomID, user) => record('startTyping', { roomID, user }),
        onReceiveStopTyping: (roomID, user) => record('stopTyping', { roomID, user }),
        onReceiveOnlineStatus: (user, isOnline, lastActive) => record('onlineStatus', { user, isOnline, lastActive }),
      });
    },
    login: (ticket) => new Promise((resolve, reject) => sdk.taptalk.authenticateWithAuthTicket(ticket, false, callback(resolve, reject))),
    connect: () =>
      new Promise((resolve, reject) =>
        sdk.taptalk.connect({
          onSuccess: resolve,
          onClose: (message) => record('closed', message),
          onError: (message) => reject(new Error(String(message))),
        }),
      ),
    me: () => sdk.taptalk.getTaptalkActiveUser(),
    personalRoomWith: (user) => sdk.tapCoreChatRoomManager.createRoomWithOtherUser(user).room,
    sendText: (room, text) => new Promise((resolve) => sdk.tapCoreMessageManager.sendTextMessage(text, room, resolve)),
    startTyping: (roomID) => sdk.tapCoreChatRoomManager.sendStartTypingEmit(roomID),
    stopTyping: (roomID) => sdk.tapCoreChatRoomManager.sendStopTypingEmit(roomID),
    markRead: (messageIDs) => sdk.tapCoreMessageManager.markMessageAsRead(messageIDs),
    roomList: () => new Promise((resolve, reject) => sdk.tapCoreRoomListManager.getUpdatedRoomList(callback(resolve, reject))),
    createGroup: (name, userIDs) =>
      new Promise((resolve, reject) => sdk.tapCoreChatRoomManager.createGroupChatRoom(name, userIDs, callback(resolve, reject))),
    disconnect: () => sdk.taptalk.disconnect(),
    isConnected: () => sdk.taptalk.isConnected(),
    online: () => navigator.onLine,
    logout: () =>
      within(10000, 'logoutAndClearAllTapTalkData', new Promise((resolve, reject) => sdk.taptalk.logoutAndClearAllTapTalkData(callback(resolve, reject)))),
    // Sends `count` texts back to back ("<prefix> 001", ...), as fast as the SDK takes them.
    sendBurst: (room, prefix, count) => {
      for (let i = 1; i <= count; i++) sdk.tapCoreMessageManager.sendTextMessage(`${prefix} ${String(i).padStart(3, '0')}`, room, () => {});
    },
    // The SDK's "load older messages": one page; the room's cached messages in the SDK's
    // order (newest first) and whether there are more.
    olderMessages: (roomID, limit) =>
      within(
        15000,
        'getOlderMessagesBeforeTimestamp',
        new Promise((resolve, reject) =>
          sdk.tapCoreMessageManager.getOlderMessagesBeforeTimestamp(roomID, limit, {
            onSuccess: (messages, hasMore) => resolve({ messages: Object.values(messages).map(brief), hasMore }),
            onError: (code, message) => reject(new Error(`${code} ${message}`)),
          }),
        ),
      ),
    // The room list through the SDK's update call, with a time limit (new_and_updated
    // calls back only when it got something).
    updatedRoomList: () =>
      within(15000, 'getUpdatedRoomList', new Promise((resolve, reject) => sdk.tapCoreRoomListManager.getUpdatedRoomList(callback(resolve, reject)))),
    // What the SDK holds of a room, newest first.
    cachedChat: (roomID) => Object.values(sdk.tapCoreChatRoomManager.getCurrentChatInRoom(roomID) ?? {}).map(brief),
    sendImage: (room, width, height, caption) =>
      png(width, height, 'square.png').then((file) =>
        within(20000, 'sendImageMessage', new Promise((resolve, reject) => sdk.tapCoreMessageManager.sendImageMessage(file, caption, room, uploadCallback(resolve, reject)))),
      ),
    sendFile: (room, name, text) =>
      within(
        20000,
        'sendFileMessage',
        new Promise((resolve, reject) =>
          sdk.tapCoreMessageManager.sendFileMessage(new File([text], name, { type: 'text/plain' }), room, uploadCallback(resolve, reject)),
        ),
      ),
    // Downloads a received file message's file through the SDK; for an image, also its size
    // as the browser decodes it.
    download: (message) =>
      within(
        15000,
        'downloadMessageFile',
        new Promise((resolve, reject) =>
          sdk.tapCoreChatRoomManager.downloadMessageFile(message, {
            onProgress: () => {},
            onSuccess: resolve,
            onError: (code, text) => reject(new Error(`${code} ${text}`)),
          }),
        ),
      ).then(
        (file) =>
          new Promise((resolve) => {
            const result = { contentType: file.contentType, bytes: file.base64 ? atob(file.base64).length : 0, error: file.error ?? null };
            if (!String(file.contentType).startsWith('image/')) return resolve(result);
            const img = new Image();
            img.onload = () => resolve({ ...result, width: img.naturalWidth, height: img.naturalHeight });
            img.onerror = () => resolve({ ...result, width: -1, height: -1 });
            img.src = `data:${file.contentType};base64,${file.base64}`;
          }),
      ),
  };
})();
