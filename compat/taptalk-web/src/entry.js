// The published SDK, exposed to the test page as window.TapTalk.
import * as TapTalk from 'taptalksdk-web';

window.TapTalk = TapTalk;
