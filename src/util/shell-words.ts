/**
 * Splits a command line into words the way a POSIX shell would, for the `cmd`/`entrypoint`
 * fields wercker shell-split: single quotes are literal, double quotes allow `\"` `\\` `\$`,
 * a backslash outside quotes escapes the next character. No expansion happens.
 */
export function shellSplit(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${input}`);
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1]!)) i++;
        word += input[i];
        i++;
      }
      if (i >= input.length) throw new Error(`unterminated double quote in: ${input}`);
      inWord = true;
      i++;
    } else if (c === '\\' && i + 1 < input.length) {
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
