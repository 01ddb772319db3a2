#pragma once

#include <string>

// The service manager protocol (sd_notify). Each call is a no-op without NOTIFY_SOCKET.
namespace netvrf::service {

void ready(const std::string& status);
void status(const std::string& status);
void stopping();
void reloading();  // then ready() when done

}  // namespace netvrf::service
