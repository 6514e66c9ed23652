# bench/peers/peers.cmake - the optional peer comparison of dualjac-bench,
# included from the top-level CMakeLists.txt after dualjac-bench is defined.
# When a C++ compiler and at least one peer (ADOL-C, Ceres' Jet) are found,
# peers.cpp is compiled into dualjac-bench with DJ_PEERS_ADOLC and/or
# DJ_PEERS_CERES; otherwise peers_none.c is, and the bench says why
# (DJ_PEERS_WHY). The library itself never depends on the peers.
#   -DDJ_BUILD_PEERS=OFF                         never look for them
#   -DCMAKE_DISABLE_FIND_PACKAGE_ADOLC=ON        do not use ADOL-C
#   -DCMAKE_DISABLE_FIND_PACKAGE_Ceres=ON        do not use Ceres
#   -DDJ_PEERS_CONTRACT=ON                       let the C++ compiler fuse
#                                                a * b + c in the peers
# The peers are compiled with -ffp-contract=off by default: C++ compilers
# fuse a * b + c into one FMA across statements (g++ even with -std=c++17),
# C11 does not, so without it the peers would evaluate a different
# floating-point program from the primal and from dualjac (whose values are
# bit-for-bit the primal's), with one rounding fewer per fused pair.
option(DJ_BUILD_PEERS "Time ADOL-C and Ceres Jet in dualjac-bench when they are installed" ON)
option(DJ_PEERS_CONTRACT "Compile the peers with the C++ compiler's default floating-point contraction" OFF)
set(DJ_PEERS_WHY "")
set(DJ_PEERS_DIR ${CMAKE_CURRENT_LIST_DIR})
if(DJ_BUILD_PEERS)
  include(CheckLanguage)
  check_language(CXX)
  if(CMAKE_CXX_COMPILER)
    enable_language(CXX)
    set(DJ_PEERS_DEFS "")
    set(DJ_PEERS_LIBS "")
    set(DJ_PEERS_FOUND "")
    set(DJ_PEERS_MISSING "")
    # ADOL-C: libadolc and adolc/adolc.h, in the directories pkg-config
    # names if it knows adolc. Only libadolc itself is linked: Debian's
    # adolc.pc also asks for -lboost_system, which libadolc-dev does not
    # install (and libadolc.so carries its own dependencies).
    if(NOT CMAKE_DISABLE_FIND_PACKAGE_ADOLC)
      find_package(PkgConfig QUIET)
      if(PKG_CONFIG_FOUND)
        pkg_check_modules(DJ_ADOLC_PC QUIET adolc)
      endif()
      find_library(DJ_ADOLC_LIBRARY adolc HINTS ${DJ_ADOLC_PC_LIBRARY_DIRS})
      find_path(DJ_ADOLC_INCLUDE_DIR adolc/adolc.h HINTS ${DJ_ADOLC_PC_INCLUDE_DIRS})
      if(DJ_ADOLC_LIBRARY AND DJ_ADOLC_INCLUDE_DIR)
        add_library(DJ::adolc INTERFACE IMPORTED)
        set_target_properties(DJ::adolc PROPERTIES
          INTERFACE_INCLUDE_DIRECTORIES "${DJ_ADOLC_INCLUDE_DIR}"
          INTERFACE_LINK_LIBRARIES "${DJ_ADOLC_LIBRARY}")
        list(APPEND DJ_PEERS_LIBS DJ::adolc)
        list(APPEND DJ_PEERS_DEFS DJ_PEERS_ADOLC DJ_PEERS_ADOLC_VERSION="${DJ_ADOLC_PC_VERSION}")
        list(APPEND DJ_PEERS_FOUND "ADOL-C ${DJ_ADOLC_PC_VERSION}")
      else()
        list(APPEND DJ_PEERS_MISSING "ADOL-C (libadolc-dev)")
      endif()
    else()
      list(APPEND DJ_PEERS_MISSING "ADOL-C (disabled)")
    endif()
    # Ceres: only the header-only Jet is used (ceres/jet.h + Eigen3), so no
    # Ceres library is linked; find_package(Ceres) only as a fallback for
    # the include directories.
    if(NOT CMAKE_DISABLE_FIND_PACKAGE_Ceres)
      find_package(Eigen3 3.3 QUIET NO_MODULE)
      find_path(DJ_CERES_INCLUDE_DIR ceres/jet.h)
      if(TARGET Eigen3::Eigen AND DJ_CERES_INCLUDE_DIR)
        add_library(DJ::ceres_jet INTERFACE IMPORTED)
        set_target_properties(DJ::ceres_jet PROPERTIES
          INTERFACE_INCLUDE_DIRECTORIES "${DJ_CERES_INCLUDE_DIR}"
          INTERFACE_LINK_LIBRARIES Eigen3::Eigen)
        list(APPEND DJ_PEERS_LIBS DJ::ceres_jet)
        list(APPEND DJ_PEERS_DEFS DJ_PEERS_CERES)
        list(APPEND DJ_PEERS_FOUND "Ceres Jet")
      else()
        find_package(Ceres QUIET)
        if(Ceres_FOUND)
          list(APPEND DJ_PEERS_LIBS Ceres::ceres)
          list(APPEND DJ_PEERS_DEFS DJ_PEERS_CERES)
          list(APPEND DJ_PEERS_FOUND "Ceres ${Ceres_VERSION}")
        else()
          list(APPEND DJ_PEERS_MISSING "Ceres (libceres-dev)")
        endif()
      endif()
    else()
      list(APPEND DJ_PEERS_MISSING "Ceres (disabled)")
    endif()
    if(DJ_PEERS_FOUND)
      target_sources(dualjac-bench PRIVATE ${DJ_PEERS_DIR}/peers.cpp)
      set_target_properties(dualjac-bench PROPERTIES
        CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
      target_include_directories(dualjac-bench PRIVATE ${DJ_PEERS_DIR} ${PROJECT_SOURCE_DIR}/problems)
      target_link_libraries(dualjac-bench PRIVATE ${DJ_PEERS_LIBS})
      set(DJ_PEERS_FP "")
      if(NOT DJ_PEERS_CONTRACT AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        set(DJ_PEERS_FP -ffp-contract=off)
        set_property(SOURCE ${DJ_PEERS_DIR}/peers.cpp APPEND PROPERTY COMPILE_OPTIONS ${DJ_PEERS_FP})
      endif()
      string(STRIP "-std=c++17 ${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${DJ_BT}} ${DJ_ARCH_FLAGS} ${DJ_PEERS_FP}"
             DJ_PEERS_FLAGS)
      set(DJ_PEERS_FLAGS "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} ${DJ_PEERS_FLAGS}")
      set_property(SOURCE ${DJ_PEERS_DIR}/peers.cpp APPEND PROPERTY COMPILE_DEFINITIONS
        ${DJ_PEERS_DEFS} DJ_PEERS_FLAGS="${DJ_PEERS_FLAGS}")
      string(REPLACE ";" ", " DJ_PEERS_FOUND "${DJ_PEERS_FOUND}")
      message(STATUS "dualjac-bench: peers built in: ${DJ_PEERS_FOUND}")
      if(DJ_PEERS_MISSING)
        string(REPLACE ";" ", " DJ_PEERS_MISSING "${DJ_PEERS_MISSING}")
        message(STATUS "dualjac-bench: peers not found: ${DJ_PEERS_MISSING}")
      endif()
    else()
      string(REPLACE ";" " and " DJ_PEERS_MISSING "${DJ_PEERS_MISSING}")
      set(DJ_PEERS_WHY "not found: ${DJ_PEERS_MISSING} - apt-get install libadolc-dev libceres-dev, then reconfigure")
    endif()
  else()
    set(DJ_PEERS_WHY "no C++ compiler")
  endif()
else()
  set(DJ_PEERS_WHY "DJ_BUILD_PEERS is OFF")
endif()
if(DJ_PEERS_WHY)
  target_sources(dualjac-bench PRIVATE ${DJ_PEERS_DIR}/peers_none.c)
  target_include_directories(dualjac-bench PRIVATE ${DJ_PEERS_DIR})
  set_property(SOURCE ${DJ_PEERS_DIR}/peers_none.c APPEND PROPERTY COMPILE_DEFINITIONS
    DJ_PEERS_WHY="${DJ_PEERS_WHY}")
  message(STATUS "dualjac-bench: peers not built: ${DJ_PEERS_WHY}")
endif()
