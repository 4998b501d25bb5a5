// esbuild loads .css as text (assets/client-bundle.ts): the terminal (terminal-screen.ts) puts xterm's stylesheet in the page itself.
declare module '*.css' {
  const text: string;
  export default text;
}
