#include "dbus/vrf_object.hpp"

#include "dbus/object_path.hpp"

namespace netvrf {

std::string VrfObject::pathOf(const std::string& name) {
  return objectPath("/org/netvrf1/vrf", name);
}

VrfObject::VrfObject(sdbus::IConnection& connection, const HostVrf& vrf)
    : AdaptorInterfaces(connection, pathOf(vrf.name)), v_(vrf) {
  registerAdaptor();
  emitInterfacesAddedSignal(std::vector<std::string>{org::netvrf1::Vrf_adaptor::INTERFACE_NAME});
}

VrfObject::~VrfObject() {
  try {
    emitInterfacesRemovedSignal(
        std::vector<std::string>{org::netvrf1::Vrf_adaptor::INTERFACE_NAME});
  } catch (const sdbus::Error&) {
    // The bus is gone (its connection is being replaced): nobody is left to tell.
  }
  unregisterAdaptor();
}

void VrfObject::update(const HostVrf& vrf) {
  std::vector<std::string> changed;
  if (v_.table != vrf.table) changed.emplace_back("Table");
  if (v_.interfaces != vrf.interfaces) changed.emplace_back("Interfaces");
  if (v_.owned != vrf.owned) changed.emplace_back("Owned");
  v_ = vrf;
  if (!changed.empty()) emitPropertiesChangedSignal(org::netvrf1::Vrf_adaptor::INTERFACE_NAME, changed);
}

}  // namespace netvrf
