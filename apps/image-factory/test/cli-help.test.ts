/** Every command's --help is rendered from the options it declares: one declaration for parsing and for help. */
import { describe, expect, it } from 'vitest';
import { renderHelp } from '../src/cli/usage.js';
import { cli } from './helpers.js';

describe('--help', () => {
  it('renders each option from its declaration: placeholder, continuation lines, a long flag on its own line', () => {
    const help = renderHelp({
      usage: ['demo [options]'],
      description: 'A demo.',
      sections: [
        [
          'Options',
          {
            root: { type: 'string', value: 'DIR', help: 'the root\n(default .)' },
            'a-very-long-option-name': { type: 'string', value: 'VALUE', help: 'long' },
            quiet: { type: 'boolean', short: 'q', help: 'say less' },
          },
        ],
      ],
      exit: '0 ok.',
      examples: ['image-factory demo --root .'],
    });
    expect(help).toBe(
      [
        'Usage: image-factory demo [options]',
        '',
        'A demo.',
        '',
        'Options:',
        '  --root DIR                  the root',
        '                              (default .)',
        '  --a-very-long-option-name VALUE',
        '                              long',
        '  -q, --quiet                 say less',
        '',
        'Exit status: 0 ok.',
        '',
        'Examples:',
        '  image-factory demo --root .',
        '',
      ].join('\n'),
    );
  });

  it.each(['parse', 'validate', 'analyze', 'sync', 'enroll', 'unenroll', 'kustomize', 'status'])(
    '%s --help lists usage, options, exit status and examples; every listed option parses',
    async (name) => {
      const result = await cli([name, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: image-factory ${name} `));
      expect(result.stdout).toMatch(/\nExit status: /);
      expect(result.stdout).toMatch(/\nExamples:\n {2}(cat Dockerfile \| )?image-factory /);
      // Declared once: every option the help lists is one the command accepts (the parser would refuse others).
      const flags = [...result.stdout.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)( \S)?/gm)].map((m) => ({
        flag: m[1] ?? '',
        takesValue: m[2] !== undefined,
      }));
      expect(flags.length).toBeGreaterThan(1);
      for (const { flag, takesValue } of flags) {
        const probe = await cli([name, takesValue ? `--${flag}=x` : `--${flag}`, '--help']);
        expect(probe.stderr, `${name} --${flag}`).toBe('');
        expect(probe.status, `${name} --${flag}`).toBe(0);
      }
    },
  );
});
