import { describe, expect, it } from 'vitest';
import { findLeaks } from '../scripts/check-log-hygiene.js';

describe('the log hygiene scanner', () => {
  it('finds a personnummer in any accepted form', () => {
    expect(findLeaks('{"msg":"x","id":"191212121212"}')).toHaveLength(1);
    expect(findLeaks('patient 19121212-1212 seen')).toHaveLength(1);
    expect(findLeaks('patient 121212-1212 seen')).toHaveLength(1);
  });
  it('ignores digit runs that are not identity numbers', () => {
    expect(findLeaks('{"time":1795568366405,"pid":6267,"responseTime":12.5}')).toEqual([]);
    expect(findLeaks('id 191212121213')).toEqual([]);
    // A request id whose first groups happen to read as a valid samordningsnummer (found in a CI run).
    expect(findLeaks('{"reqId":"20881074-7348-437a-b898-0c2ac0cb010a"}')).toEqual([]);
    expect(findLeaks('{"reqId":"x","patient":"20881074-7348"}')).toHaveLength(1);
  });
  it('finds fixture names and note text', () => {
    expect(findLeaks('{"name":"Tolvan Tolvansson"}').map((l) => l.what)).toEqual(['"Tolvan"', '"Tolvansson"']);
  });
});
