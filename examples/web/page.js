// Edit this text while `werker dev` runs, save, and reload the browser.
exports.page = (url) => `<!doctype html>
<title>werker dev</title>
<h1>Hello from werker dev</h1>
<p>You asked for ${url.replace(/[<>&"]/g, '')}.</p>
`;
