-- The seal pass is compiled without JIT. Its plan's cost is estimated from audit_events as a whole (the branch for
-- care givers with a failed pass estimates millions of rows even when there is none), so once the trail passed a few
-- million events that estimate crossed jit_above_cost and every pass spent about 300 ms compiling a plan that then ran
-- in under a millisecond: on the 2M bench database after a day of runs (3.3M events) consent checks fell from 6,353
-- to 2,917 a second, the sealer taking the CPU. A later CREATE OR REPLACE of this function must keep the setting.
ALTER FUNCTION seal_audit_events(boolean) SET jit = off;
