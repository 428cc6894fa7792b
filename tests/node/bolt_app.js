// A @slack/bolt app behind `xox proxy`, unpatched: one app key for every install, the
// install named after it by Bolt's `authorize` option, and the Web API at the proxy. It
// answers each mention with `say()` through the proxy. Prints "ready" once it listens.
// Usage: node bolt_app.js NODE_MODULES_DIR PORT SIGNING_SECRET APP_KEY PROXY_API_URL
const path = require('path');
const [modules, port, signingSecret, key, slackApiUrl] = process.argv.slice(2);
const { App } = require(path.join(modules, 'node_modules', '@slack/bolt'));

const app = new App({
  signingSecret,
  authorize: async ({ teamId, enterpriseId }) => ({ botToken: `${key}:${teamId || enterpriseId}` }),
  clientOptions: { slackApiUrl },
});

app.event('app_mention', async ({ event, say }) => {
  await say(`node heard: ${event.text}`);
});

(async () => {
  await app.start(Number(port));
  console.log('ready');
})();
