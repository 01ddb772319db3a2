#include "service_notify.hpp"

#include <systemd/sd-daemon.h>

namespace netvrf::service {

void ready(const std::string& s) {
  sd_notify(0, ("READY=1\nSTATUS=" + s).c_str());
}
void status(const std::string& s) {
  sd_notify(0, ("STATUS=" + s).c_str());
}
void reloading() {
  sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}
void stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

}  // namespace netvrf::service
