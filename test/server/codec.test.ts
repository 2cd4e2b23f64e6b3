// Unit tests of the protocol's pure pieces: framing, value formats, statement splitting, COPY rows, SCRAM.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Types } from '../../oltp/types.ts';
import { CopyParser, formatCopyLine, parseCopy } from '../../server/pgwire/copy.ts';
import { FrameReader, MessageWriter } from '../../server/pgwire/framing.ts';
import { makeScramSecret, ScramExchange } from '../../server/pgwire/scram.ts';
import { splitStatements } from '../../server/pgwire/split.ts';
import { formatBinary, formatText, parseBinaryParam, parseTextAs, parseTextParam, Oid } from '../../server/pgwire/values.ts';

describe('framing', () => {
  it('cuts the same messages out of the stream however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (texts, cuts) => {
        const w = new MessageWriter();
        for (const t of texts) w.begin('Q').cstring(t).end();
        const bytes = w.take();
        const reader = new FrameReader(1 << 20);
        const got: string[] = [];
        let at = 0;
        let k = 0;
        while (at < bytes.length) {
          const size = cuts[k++ % cuts.length]!;
          reader.push(bytes.subarray(at, at + size));
          at += size;
          for (let f = reader.nextMessage(); f; f = reader.nextMessage()) got.push(f.body.subarray(0, -1).toString('utf8'));
        }
        expect(got).toEqual(texts);
        expect(reader.bufferedBytes).toBe(0);
      }),
    );
  });

  it('rejects a length over the cap from the header alone, and a length below 4', () => {
    const reader = new FrameReader(100);
    reader.push(Buffer.from([0x51, 0, 0, 1, 0]));
    expect(() => reader.nextMessage()).toThrow(/exceeds the limit of 100 bytes/);
    const bad = new FrameReader(100);
    bad.push(Buffer.from([0x51, 0, 0, 0, 2]));
    expect(() => bad.nextMessage()).toThrow(/invalid message length/);
  });
});

describe('values', () => {
  it('formats values as PostgreSQL prints them', () => {
    expect(formatText(-12345n, Types.decimal(10, 2))).toBe('-123.45');
    expect(formatText(5n, Types.decimal(10, 3))).toBe('0.005');
    expect(formatText(-5n, Types.decimal(10, 3))).toBe('-0.005');
    expect(formatText(1.5e300, Types.double)).toBe('1.5e+300');
    expect(formatText(-Infinity, Types.double)).toBe('-Infinity');
    expect(formatText(false, Types.boolean)).toBe('f');
    expect(formatText(0, Types.date)).toBe('1970-01-01');
    expect(formatText(-719528, Types.date)).toBe('0001-01-01 BC');
    expect(formatText(-1, Types.timestamp)).toBe('1969-12-31 23:59:59.999999');
    expect(formatText(86_400_000_000 + 1_500_000, Types.timestamp)).toBe('1970-01-02 00:00:01.5');
    expect(formatText(null, Types.text)).toBe(null);
  });

  it('round-trips dates and timestamps through COPY text input', () => {
    fc.assert(
      fc.property(fc.integer({ min: -600_000, max: 2_900_000 }), fc.integer({ min: 0, max: 86_400_000_000 - 1 }), (days, us) => {
        expect(parseTextAs(formatText(days, Types.date)!, Types.date)).toBe(days);
        const ts = days * 86_400_000_000 + us;
        expect(parseTextAs(formatText(ts, Types.timestamp)!, Types.timestamp)).toBe(ts);
      }),
    );
  });

  it('round-trips decimals through text and rounds extra digits half away from zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 6 }), (v, scale) => {
        expect(parseTextAs(formatText(v, Types.decimal(30, scale))!, Types.decimal(30, scale))).toBe(v);
      }),
    );
    expect(parseTextAs('1.235', Types.decimal(5, 2))).toBe(124n);
    expect(parseTextAs('-1.235', Types.decimal(5, 2))).toBe(-124n);
  });

  it('encodes binary results as PostgreSQL does (epoch 2000-01-01, numeric base 10000)', () => {
    expect(formatBinary(10957, Types.date)!.readInt32BE(0)).toBe(0);
    expect(formatBinary(946_684_800_000_001, Types.timestamp)!.readBigInt64BE(0)).toBe(1n);
    const n = formatBinary(-1234567n, Types.decimal(10, 2))!; // -12345.67
    expect([n.readInt16BE(0), n.readInt16BE(2), n.readUInt16BE(4), n.readInt16BE(6)]).toEqual([3, 1, 0x4000, 2]);
    expect([n.readInt16BE(8), n.readInt16BE(10), n.readInt16BE(12)]).toEqual([1, 2345, 6700]);
  });

  it('decodes binary numeric parameters to the same text the binary encoder started from', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.integer({ min: 0, max: 12 }), (v, scale) => {
        const type = Types.decimal(38, scale);
        expect(parseBinaryParam(formatBinary(v, type)!, Oid.numeric)).toBe(formatText(v, type));
      }),
    );
  });

  it('encodes the same binary value from the row form and from the text form of a value', () => {
    for (const [rowForm, text, type] of [
      [19723, '2024-01-01', Types.date],
      [1704110400123456, '2024-01-01 12:00:00.123456', Types.timestamp],
      [-1234567n, '-12345.67', Types.decimal(10, 2)],
      [42, '42', Types.bigint],
    ] as const) {
      expect(formatBinary(text, type)).toEqual(formatBinary(rowForm, type));
    }
  });

  it('decodes text and binary parameters by type and rejects bad ones with 22P02', () => {
    expect(parseTextParam('42', Oid.int4)).toBe(42);
    expect(parseTextParam('on', Oid.bool)).toBe(true);
    expect(parseTextParam('2024-01-01', 0)).toBe('2024-01-01');
    expect(() => parseTextParam('4x', Oid.int8)).toThrow(expect.objectContaining({ code: '22P02' }));
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(1_000_000n);
    expect(parseBinaryParam(ts, Oid.timestamp)).toBe('2000-01-01 00:00:01');
  });
});

describe('statement splitting', () => {
  it('splits at top-level semicolons only', () => {
    const sql = "select 'a;b'; select \"x;\" from t -- c;\n; /* ; /* ; */ */ select $$;$$, $q$;$q$;;  ";
    expect(splitStatements(sql).map((s) => s.text)).toEqual(["select 'a;b'", 'select "x;" from t -- c;', '/* ; /* ; */ */ select $$;$$, $q$;$q$']);
    expect(splitStatements('  -- only a comment\n ;  ')).toEqual([]);
    expect(splitStatements("a; E'\\';'; b").map((s) => s.offset)).toEqual([0, 3, 11]);
  });
});

describe('COPY', () => {
  it('recognises COPY to and from the client with options', () => {
    expect(parseCopy('COPY pgbench_accounts FROM STDIN WITH (FREEZE ON)')).toMatchObject({ direction: 'from', table: 'pgbench_accounts', format: { csv: false } });
    expect(parseCopy('copy "T" (a, "B") from stdin csv header')).toMatchObject({ table: 'T', columns: ['a', 'B'], format: { csv: true, header: true, nullText: '' } });
    expect(parseCopy("copy (select 1) to stdout with (format csv, delimiter ';')")).toMatchObject({ direction: 'to', query: 'select 1', format: { delimiter: ';' } });
    expect(parseCopy("copy t from '/tmp/file.csv'")).toBeUndefined();
  });

  it('parses text and CSV rows split across chunks, escapes included', () => {
    const text = new CopyParser(parseCopy('copy t from stdin')!.format);
    const rowsText = [...text.push(Buffer.from('1\ta\\tb\t\\N\n2\tx')), ...text.push(Buffer.from('y\t3\n\\.\n')), ...text.end()];
    expect(rowsText).toEqual([['1', 'a\tb', null], ['2', 'xy', '3']]);
    const csv = new CopyParser(parseCopy('copy t from stdin csv')!.format);
    const bytes = Buffer.from('1,"multi\nline, ""q""",\n2,"",x\n');
    const rowsCsv = [...csv.push(bytes.subarray(0, 9)), ...csv.push(bytes.subarray(9)), ...csv.end()];
    expect(rowsCsv).toEqual([['1', 'multi\nline, "q"', null], ['2', '', 'x']]);
  });

  it('formats rows that parse back to the same fields', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null }), { minLength: 1, maxLength: 5 }), fc.boolean(), (fields, csv) => {
        const format = parseCopy(`copy t from stdin${csv ? ' csv' : ''}`)!.format;
        const p = new CopyParser(format);
        const rows = [...p.push(Buffer.from(formatCopyLine(fields, format))), ...p.end()];
        // A lone text field equal to the end marker is the one ambiguity of the text format.
        if (!csv && fields.length === 1 && fields[0] === '\\.') return;
        expect(rows).toEqual([fields]);
      }),
    );
  });
});

describe('SCRAM-SHA-256', () => {
  it('reproduces the RFC 7677 example exchange', () => {
    const secret = makeScramSecret('pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const exchange = new ScramExchange(secret, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    expect(exchange.start('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toEqual({
      reply: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    });
    const final = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
    expect(exchange.finish(final)).toEqual({ reply: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=' });
  });

  it('refuses a wrong proof', () => {
    const exchange = new ScramExchange(makeScramSecret('right'), () => 'N');
    exchange.start('n,,n=,r=abc');
    expect(exchange.finish(`c=biws,r=abcN,p=${Buffer.alloc(32).toString('base64')}`)).toEqual({ error: 'password authentication failed' });
  });
});
