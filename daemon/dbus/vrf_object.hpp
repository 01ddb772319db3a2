#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <string>

#include "attach/host_vrfs.hpp"
#include "netvrf1_adaptor.h"

namespace netvrf {

// /org/netvrf1/vrf/ENCODED_NAME: one VRF on the host, as ContainerObject does it.
class VrfObject : public sdbus::AdaptorInterfaces<org::netvrf1::Vrf_adaptor, sdbus::Properties_adaptor,
                                                  sdbus::ManagedObject_adaptor> {
 public:
  static std::string pathOf(const std::string& name);

  VrfObject(sdbus::IConnection& connection, const HostVrf& vrf);
  virtual ~VrfObject();

  void update(const HostVrf& vrf);

 private:
  std::string Name() override { return v_.name; }
  uint32_t Table() override { return v_.table; }
  std::vector<std::string> Interfaces() override { return v_.interfaces; }
  bool Owned() override { return v_.owned; }

  HostVrf v_;
};

}  // namespace netvrf
