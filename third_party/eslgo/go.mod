module github.com/percipia/eslgo

go 1.14

require (
  github.com/google/uuid v1.1.1
  github.com/stretchr/testify v1.5.1
)
