#define BOOST_TEST_MODULE hub_common
#include <boost/test/unit_test.hpp>
