// The ceiling of the HTTP stack: a bare Hono route on @hono/node-server that parses a JSON body
// and answers JSON, with no JWT, no validation and no database.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/bare', async (c) => {
  const body = await c.req.json();
  return c.json({ ok: true, walletId: body.walletId ?? body.fromWalletId, amount: body.amount });
});
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` })));
