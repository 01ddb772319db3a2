#pragma once

#include <string>
#include <system_error>

namespace netvrf {

// libnl reports failures as negative NLE_* codes, which are not errno values: they get their
// own category so that a caller can test for NLE_EXIST without confusing it with EEXIST's 17.
const std::error_category& nlCategory();

// Throws std::system_error(-err, nlCategory(), what) for a negative libnl result.
void checkNl(int result, const std::string& what);
bool isNl(const std::system_error& e, int nle);  // nle as the positive NLE_* constant

}  // namespace netvrf
