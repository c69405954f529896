import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadProcessorCatalog } from '../../../config/processors';
import { loadWorkerSetup } from '../../../config/worker-setup';
import { ProcessorType } from '../../../contracts';
import { REPO_ROOT } from '../../../local/emulator/paths';
import pdfText from '../../../examples/pdf-text/pipeline.config';

describe('the worked example of docs/processors.md (examples/pdf-text)', () => {
  it('is a configuration the synth accepts: its processor and its setup script', () => {
    const catalog = loadProcessorCatalog(pdfText, {});

    expect(catalog.processors['pdf-text']).toMatchObject({ type: ProcessorType.command, timeoutSeconds: 600 });
    expect(loadWorkerSetup(pdfText, REPO_ROOT)).toEqual({ scriptPath: path.join(REPO_ROOT, 'examples', 'pdf-text', 'setup.sh'), timeoutSeconds: 900 });
  });

  it('has a setup script that passes shellcheck', () => {
    const result = spawnSync('shellcheck', [path.join(REPO_ROOT, 'examples', 'pdf-text', 'setup.sh')], { encoding: 'utf8' });

    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
