/* A container's whole program: waits for a signal, forever. Built -static for a root
   holding nothing else. */
#include <unistd.h>

int main(void) {
    for (;;)
        pause();
}
