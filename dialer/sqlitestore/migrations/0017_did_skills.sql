-- The skills a DID's callers need of a member, as a JSON array; [] (any
-- member) keeps every existing DID routed as it was. The length bound is
-- dialer.MaxMemberSkills.
ALTER TABLE dids ADD COLUMN skills TEXT NOT NULL DEFAULT '[]'
    CONSTRAINT skills CHECK (json_valid(skills) AND json_type(skills) = 'array' AND json_array_length(skills) <= 16);
