// Minimal VS Code client for nahawi-lsp: starts the server over stdio and forwards the `nahawi` settings.
// Diagnostics, quick fixes and "source.fixAll.nahawi" come from the server; this file only wires them up.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function createClient() {
  const config = vscode.workspace.getConfiguration('nahawi');
  const serverOptions = {
    command: config.get('serverPath') || 'nahawi-lsp',
    args: config.get('serverArgs') || [],
    transport: TransportKind.stdio,
  };
  const languages = config.get('languages') || ['plaintext', 'text', 'markdown'];
  const clientOptions = {
    documentSelector: languages.map((language) => ({ language })),
    // The server pulls settings with workspace/configuration; this makes VS Code tell it when they change.
    synchronize: { configurationSection: 'nahawi' },
  };
  return new LanguageClient('nahawi', 'Nahawi (نحوي)', serverOptions, clientOptions);
}

function activeUri() {
  const editor = vscode.window.activeTextEditor;
  return editor ? editor.document.uri.toString() : undefined;
}

async function activate(context) {
  client = createClient();
  context.subscriptions.push(
    // The server's own commands (nahawi.checkDocument, nahawi.applyAll, ...) are registered by the
    // language client; these palette entries pass them the active document.
    vscode.commands.registerCommand('nahawi.checkActiveDocument', () =>
      vscode.commands.executeCommand('nahawi.checkDocument', activeUri())),
    vscode.commands.registerCommand('nahawi.applyAllInActiveDocument', () =>
      vscode.commands.executeCommand('nahawi.applyAll', activeUri())),
    vscode.commands.registerCommand('nahawi.restartServer', async () => {
      await client.stop();
      client = createClient();
      await client.start();
    }),
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
