/** A command as a thin factory of the extension's parts (as in rust-analyzer's editors/code): src/extension.ts registers one list of them. */
import type { SinkLens } from '../sinkLens';

/** Command arguments come from VS Code (menus, links, other commands, tests): each handler says what it reads. */
export type Command = (...args: never[]) => unknown;
export type CommandFactory = (lens: SinkLens) => Command;
