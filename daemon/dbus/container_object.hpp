#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <string>

#include "manager.hpp"
#include "netvrf1_adaptor.h"

namespace netvrf {

// /org/netvrf1/container/ENCODED_KEY: one container's properties. Announced (InterfacesAdded)
// when made, withdrawn (InterfacesRemoved) when destroyed; update() emits PropertiesChanged
// for what changed.
class ContainerObject
    : public sdbus::AdaptorInterfaces<org::netvrf1::Container_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
 public:
  static std::string pathOf(const std::string& key);  // key: runtime/id

  ContainerObject(sdbus::IConnection& connection, const ContainerView& view);
  virtual ~ContainerObject();

  void update(const ContainerView& view);

 private:
  std::string Runtime() override { return v_.runtime; }
  std::string Id() override { return v_.id; }
  std::string Name() override { return v_.name; }
  std::string Netns() override { return v_.entry; }
  std::string NetnsPath() override { return v_.netnsPath; }
  uint32_t Pid() override { return v_.pid; }
  std::string State() override { return v_.state; }
  std::string Vrf() override { return v_.vrf; }
  uint32_t Table() override { return v_.table; }
  std::vector<std::string> Interfaces() override { return v_.interfaces; }
  std::string Attach() override { return v_.attach; }
  std::string HostVrf() override { return v_.hostVrf; }
  std::string WantedVrf() override { return v_.wantedVrf; }
  std::string WantedFrom() override { return v_.wantedFrom; }
  std::string WantedHostVrf() override { return v_.wantedHostVrf; }
  std::string WantedHostFrom() override { return v_.wantedHostFrom; }
  std::string LastError() override { return v_.lastError; }
  std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, std::string,
                            std::string, bool>>
  InterfaceVrfs() override;

  ContainerView v_;
};

}  // namespace netvrf
