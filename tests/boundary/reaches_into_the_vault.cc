// Not compiled: the boundary check's test input (tests/CMakeLists.txt,
// module_boundary_*). A file outside the vault that includes its internals.
#include "vault/internal/impl.h"
#include "vault/vault.h"
