/** --help and README tables come from the declaration. */
import { describe, expect, it } from 'vitest';
import { defineSettings, duration, helpText, markdownTable, port, text } from '@yizhan/common/settings';

const DECL = defineSettings({
  component: 'demo',
  prefix: 'YIZHAN_DEMO_',
  settings: {
    port: port({ default: 9000, flag: 'port', zh: '端口', en: 'port' }),
    password: text({ secret: true, zh: '密码 | 口令', en: 'password | pass' }),
    stateDir: text({ defaultText: '$YIZHAN_DATA_DIR/<station>', zh: '目录', en: 'folder' }),
    wait: duration({ default: '5s', zh: '等待', en: 'wait' }),
  },
});

describe('helpText', () => {
  it.each([
    ['zh-CN', /--port, YIZHAN_DEMO_PORT\s+9000\s+端口/],
    ['en', /YIZHAN_DEMO_PASSWORD, YIZHAN_DEMO_PASSWORD_FILE\s+-\s+password/],
    ['en', /YIZHAN_DEMO_WAIT\s+5s\s+wait/],
  ] as const)('%s: %s', (lang, line) => {
    expect(helpText(DECL, lang)).toMatch(line);
  });
});

describe('markdownTable', () => {
  it('one row per setting: names, default, meaning in both languages; | and <> escaped', () => {
    expect(markdownTable(DECL).split('\n')).toEqual([
      '| 设置 / setting | 默认 / default | 说明 | meaning |',
      '| --- | --- | --- | --- |',
      '| `--port`, `YIZHAN_DEMO_PORT` | `9000` | 端口 | port |',
      '| `YIZHAN_DEMO_PASSWORD`, `YIZHAN_DEMO_PASSWORD_FILE` | – | 密码 \\| 口令 | password \\| pass |',
      '| `YIZHAN_DEMO_STATE_DIR` | `$YIZHAN_DATA_DIR/<station>` | 目录 | folder |',
      '| `YIZHAN_DEMO_WAIT` | `5s` | 等待 | wait |',
    ]);
  });
});
