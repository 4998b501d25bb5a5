// A tiny web app for `werker dev`: the page comes from page.js, read once at start-up, so an
// edit shows only after internal/watch restarts the server.
const http = require('node:http');
const { page } = require('./page.js');

const port = Number(process.env.PORT || 8000);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(page(req.url));
});
server.listen(port, '0.0.0.0', () => console.log(`listening on port ${port}`));
