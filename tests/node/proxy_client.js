// The real @slack/web-api WebClient against `xox proxy`, with a proxy key as its token.
// Usage: node proxy_client.js NODE_MODULES_DIR BASE_URL KEY. Prints one JSON object of
// what happened; tests/proxy_node.rs checks it.
const path = require('path');
const [modules, slackApiUrl, key] = process.argv.slice(2);
const { WebClient } = require(path.join(modules, 'node_modules', '@slack/web-api'));

(async () => {
  const client = new WebClient(key, { slackApiUrl, retryConfig: { retries: 0 } });
  const seen = {};
  seen.auth_test = (await client.auth.test()).ok;
  seen.post = (await client.chat.postMessage({ channel: 'C0SIMGENERAL', text: 'hello from node' })).ok;
  // uploadV2 sends the file to the upload URL with its own token: here, the proxy key.
  const uploaded = await client.filesUploadV2({
    channel_id: 'C0SIMGENERAL', filename: 'notes.txt', content: 'hello from uploadV2', title: 'Notes',
  });
  seen.upload = uploaded.ok;
  try {
    await client.reactions.add({ channel: 'C0SIMGENERAL', name: 'tada', timestamp: '1.000001' });
    seen.missing_scope = null;
  } catch (e) {
    seen.missing_scope = e.data && e.data.error;
  }
  try {
    await new WebClient('xpk-not-a-key', { slackApiUrl, retryConfig: { retries: 0 } }).auth.test();
    seen.wrong_key = null;
  } catch (e) {
    seen.wrong_key = e.data && e.data.error;
  }
  console.log(JSON.stringify(seen));
})().catch((e) => { console.error(e); process.exit(1); });
