#include "netlink/rule.hpp"

#include <linux/fib_rules.h>
#include <netlink/errno.h>

#include <string>

#include "netlink/nl_error.hpp"
#include "netlink/nl_handle.hpp"

namespace netvrf {
namespace {

RulePtr lookupRule(int family, uint32_t pref, uint32_t table) {
  RulePtr rule(rtnl_rule_alloc());
  rtnl_rule_set_family(rule.get(), family);
  rtnl_rule_set_prio(rule.get(), pref);
  rtnl_rule_set_table(rule.get(), table);
  rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
  return rule;
}

std::string ruleName(uint32_t pref, uint32_t table) {
  return "rule pref " + std::to_string(pref) + " lookup " + std::to_string(table);
}

}  // namespace

std::optional<uint32_t> lookupRuleTable(nl_sock* sock, uint32_t pref) {
  nl_cache* raw = nullptr;
  checkNl(rtnl_rule_alloc_cache(sock, AF_INET, &raw), "list rules");
  NlCache cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* rule = reinterpret_cast<rtnl_rule*>(o);
    if (rtnl_rule_get_family(rule) == AF_INET && rtnl_rule_get_prio(rule) == pref &&
        rtnl_rule_get_action(rule) == FR_ACT_TO_TBL)
      return rtnl_rule_get_table(rule);
  }
  return std::nullopt;
}

void addLookupRule(nl_sock* sock, uint32_t pref, uint32_t table) {
  for (int family : {AF_INET, AF_INET6}) {
    int r = rtnl_rule_add(sock, lookupRule(family, pref, table).get(), NLM_F_CREATE | NLM_F_EXCL);
    if (r == -NLE_EXIST) continue;
    checkNl(r, "add " + ruleName(pref, table));
  }
}

void deleteLookupRule(nl_sock* sock, uint32_t pref, uint32_t table) {
  for (int family : {AF_INET, AF_INET6}) {
    int r = rtnl_rule_delete(sock, lookupRule(family, pref, table).get(), 0);
    if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NOADDR) continue;
    checkNl(r, "delete " + ruleName(pref, table));
  }
}

}  // namespace netvrf
