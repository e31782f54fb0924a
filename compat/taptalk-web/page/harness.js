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

  window.harness = {
    events,
    // The first recorded callback of `kind` whose payload has every `path: value` of `expected`.
    find: (kind, expected) =>
      events.find((e) => e.kind === kind && Object.entries(expected).every(([path, value]) => at(e.payload, path) === value)) ?? null,
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
  };
})();
