/**
 * The HTML shell and options every Sink Lens webview panel uses: a strict CSP (scripts and styles
 * only from dist/ with a nonce, no inline styles, no eval, nothing remote) and local resources
 * limited to dist/ and media/.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function webviewPanelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export interface WebviewDocument {
  title: string;
  /** Stylesheets and the script, as file names in dist/. */
  styles: string[];
  script: string;
  /** Shown until the script takes over: static markup written here, never document text. */
  placeholderHtml: string;
}

export function webviewDocument(webview: vscode.Webview, extensionUri: vscode.Uri, document: WebviewDocument): string {
  const nonce = randomBytes(18).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const styles = document.styles.map((name) => `  <link rel="stylesheet" nonce="${nonce}" href="${asset(name)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
  <title>${document.title}</title>
</head>
<body>
  <main id="app" aria-live="polite">${document.placeholderHtml}</main>
  <script nonce="${nonce}" src="${asset(document.script)}"></script>
</body>
</html>`;
}
