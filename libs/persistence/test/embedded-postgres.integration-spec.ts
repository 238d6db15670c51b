import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '@tollgate/persistence';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-embedded-'));
    await chmod(dir, 0o755);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its data across a stop and a start on the same folder, with a password that is not a default', async () => {
    const first = await startEmbeddedPostgres({ dir });
    await query(first.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await first.stop();
    const second = await startEmbeddedPostgres({ dir });
    try {
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
      const { password } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { password: string };
      expect(password).toHaveLength(24);
      await expect(query(second.url.replace(encodeURIComponent(password), 'password'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await second.stop();
    }
  });

  it('takes over a folder whose server was left running by a process that died', async () => {
    const orphan = await startEmbeddedPostgres({ dir });
    await query(orphan.url, 'CREATE TABLE survived (v int); INSERT INTO survived VALUES (7)');
    // The owner "dies" without stopping it: the next start must still succeed on the same data.
    const next = await startEmbeddedPostgres({ dir });
    try {
      expect(await query(next.url, 'SELECT v FROM survived')).toEqual([{ v: 7 }]);
      await expect(query(orphan.url, 'SELECT 1')).rejects.toThrow();
    } finally {
      await next.stop();
    }
  });
});
