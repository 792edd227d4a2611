-- The dispositions every install starts with. System codes are set by the
-- service itself (unanswered outcomes, a missing wrap-up) or relied on by it
-- (callback, DNC); agents pick the selectable ones.
INSERT INTO dispositions (code, label, system, selectable, schedules_callback, marks_dnc, final, sort, created_at)
VALUES
    ('SALE',    'Sale',                  1, 1, 0, 0, 1, 10,  unixepoch() * 1000),
    ('NI',      'Not interested',        1, 1, 0, 0, 1, 20,  unixepoch() * 1000),
    ('CALLBK',  'Call back',             1, 1, 1, 0, 0, 30,  unixepoch() * 1000),
    ('DNC',     'Do not call',           1, 1, 0, 1, 1, 40,  unixepoch() * 1000),
    ('WN',      'Wrong number',          1, 1, 0, 0, 1, 50,  unixepoch() * 1000),
    ('AM',      'Answering machine',     1, 1, 0, 0, 0, 60,  unixepoch() * 1000),
    ('NA',      'No answer',             1, 0, 0, 0, 0, 100, unixepoch() * 1000),
    ('B',       'Busy',                  1, 0, 0, 0, 0, 110, unixepoch() * 1000),
    ('DROP',    'Abandoned: no agent',   1, 0, 0, 0, 0, 120, unixepoch() * 1000),
    ('FAIL',    'Failed / invalid',      1, 0, 0, 0, 1, 130, unixepoch() * 1000),
    ('NODISPO', 'No disposition given',  1, 0, 0, 0, 0, 140, unixepoch() * 1000);
