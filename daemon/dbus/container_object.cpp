#include "dbus/container_object.hpp"

#include "dbus/object_path.hpp"

namespace netvrf {

std::string ContainerObject::pathOf(const std::string& key) {
  return objectPath("/org/netvrf1/container", key);
}

ContainerObject::ContainerObject(sdbus::IConnection& connection, const ContainerView& view)
    : AdaptorInterfaces(connection, pathOf(view.runtime + "/" + view.id)), v_(view) {
  registerAdaptor();
  emitInterfacesAddedSignal(
      std::vector<std::string>{org::netvrf1::Container_adaptor::INTERFACE_NAME});
}

ContainerObject::~ContainerObject() {
  try {
    emitInterfacesRemovedSignal(
        std::vector<std::string>{org::netvrf1::Container_adaptor::INTERFACE_NAME});
  } catch (const sdbus::Error&) {
    // The bus is gone (its connection is being replaced): nobody is left to tell.
  }
  unregisterAdaptor();
}

void ContainerObject::update(const ContainerView& view) {
  std::vector<std::string> changed;
  auto check = [&](const char* name, auto ContainerView::*field) {
    if (v_.*field != view.*field) changed.emplace_back(name);
  };
  check("Name", &ContainerView::name);
  check("Netns", &ContainerView::entry);
  check("NetnsPath", &ContainerView::netnsPath);
  check("Pid", &ContainerView::pid);
  check("State", &ContainerView::state);
  check("Vrf", &ContainerView::vrf);
  check("Table", &ContainerView::table);
  check("Interfaces", &ContainerView::interfaces);
  check("Attach", &ContainerView::attach);
  check("HostVrf", &ContainerView::hostVrf);
  check("WantedVrf", &ContainerView::wantedVrf);
  check("WantedFrom", &ContainerView::wantedFrom);
  check("WantedHostVrf", &ContainerView::wantedHostVrf);
  check("WantedHostFrom", &ContainerView::wantedHostFrom);
  check("LastError", &ContainerView::lastError);
  check("InterfaceVrfs", &ContainerView::interfaceVrfs);
  v_ = view;
  if (!changed.empty())
    emitPropertiesChangedSignal(org::netvrf1::Container_adaptor::INTERFACE_NAME, changed);
}

std::vector<
    sdbus::Struct<std::string, uint32_t, std::vector<std::string>, std::string, std::string, bool>>
ContainerObject::InterfaceVrfs() {
  std::vector<sdbus::Struct<std::string, uint32_t, std::vector<std::string>, std::string,
                            std::string, bool>>
      out;
  for (const auto& p : v_.interfaceVrfs)
    out.emplace_back(p.vrf, p.table, p.interfaces, p.attach, p.from, p.isDefault);
  return out;
}

}  // namespace netvrf
