/** Every entry under a folder with what would show a write: type, size, mtime, link target. */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export function folderSnapshot(root: string): string[] {
  const entries: string[] = [];
  const visit = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      const what = stat.isSymbolicLink() ? `-> ${readlinkSync(path)}` : stat.isDirectory() ? 'dir' : `${stat.size} bytes`;
      entries.push(`${relative(root, path)} ${what} ${stat.mtimeMs}`);
      if (stat.isDirectory()) visit(path);
    }
  };
  visit(root);
  return entries;
}
